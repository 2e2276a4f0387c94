import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCustomerJourney, VISITOR_ANONYMOUS_ID, type JourneyResult } from '../src/demo/customer-journey.js';
import { findJourneyMismatches } from '../src/demo/expected-event.js';
import { SubscriptionsService } from '../src/subscriptions/subscriptions.service.js';
import { ShopUnderTest, TEST_API_KEY } from './shop-harness.js';

/** The journey `npm run demo` prints, checked here so the demo cannot silently drift. */
describe('sample app: the demo customer journey', () => {
  let shop: ShopUnderTest;
  let journey: JourneyResult;

  beforeAll(async () => {
    shop = await ShopUnderTest.start();
    const subscriptions = shop.app.get(SubscriptionsService);
    journey = await runCustomerJourney(shop.url, { renewSubscriptions: (asOf) => subscriptions.renewDue(asOf) });
    await shop.settle(journey.expected.length);
  });

  afterAll(async () => {
    await shop.close();
  });

  it('delivers exactly the expected events', () => {
    expect(findJourneyMismatches(journey.expected, shop.wireEvents())).toEqual([]);
    expect(shop.wireEvents()[0]).toMatchObject({ name: 'signed_up', anonymous_id: VISITOR_ANONYMOUS_ID });
  });

  it('accounts for every captured event: the retried order is a duplicate, nothing is pending', () => {
    const stats = shop.tracker.stats();
    expect(stats).toMatchObject({ delivered: journey.expected.length, deduplicated: 1, rejected: 0, pending: 0 });
    expect(stats.captured).toBe(stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending);
  });

  it('keeps the API key out of request bodies, stats and health', () => {
    expect(shop.emulator.batches.length).toBeGreaterThan(0);
    for (const batch of shop.emulator.batches) expect(batch.body).not.toContain(TEST_API_KEY);
    expect(JSON.stringify(shop.tracker.stats())).not.toContain(TEST_API_KEY);
    expect(JSON.stringify(shop.tracker.health())).not.toContain(TEST_API_KEY);
  });
});
