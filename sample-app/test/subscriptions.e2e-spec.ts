import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SubscriptionRenewalJob } from '../src/subscriptions/subscription-renewal.job.js';
import { SubscriptionsService } from '../src/subscriptions/subscriptions.service.js';
import { ShopUnderTest } from './shop-harness.js';

describe('sample app: subscriptions', () => {
  let shop: ShopUnderTest;
  let customer: { id: string; auth: Record<string, string> };

  beforeEach(async () => {
    shop = await ShopUnderTest.start();
    customer = await shop.signUp('ada@example.com');
  });

  afterEach(async () => {
    await shop.close();
  });

  it('sends subscription_started with the plan as a contact attribute', async () => {
    const response = await shop.request('POST', '/subscriptions', { headers: customer.auth, body: { plan: 'pro' } });
    expect(response.status).toBe(201);

    await shop.settle(2);
    expect(shop.wireEventsNamed('subscription_started')).toEqual([
      {
        name: 'subscription_started',
        external_id: customer.id,
        data: { subscription_id: 'sub_1', plan: 'pro', amount: 29, currency: 'EUR' },
        user: { data: { plan: 'pro' } },
        created_at: expect.any(String),
      },
    ]);
  });

  it('tracks subscription_renewed from the service, outside any request, for the subscription owner', async () => {
    const started = await shop.request('POST', '/subscriptions', { headers: customer.auth, body: { plan: 'basic' } });
    const periodEnd: string = started.body.currentPeriodEnd;

    const service = shop.app.get(SubscriptionsService);
    // Not due yet: the hourly job finds nothing to renew today.
    shop.app.get(SubscriptionRenewalJob).run();
    const renewed = service.renewDue(new Date(Date.parse(periodEnd) + 1000));
    expect(renewed.map((subscription) => subscription.id)).toEqual(['sub_1']);

    await shop.settle(3);
    expect(shop.wireEventsNamed('subscription_renewed')).toEqual([
      {
        name: 'subscription_renewed',
        external_id: customer.id,
        data: {
          subscription_id: 'sub_1',
          plan: 'basic',
          amount: 9,
          currency: 'EUR',
          period_end: renewed[0]!.currentPeriodEnd,
        },
        created_at: expect.any(String),
      },
    ]);
    expect(Date.parse(renewed[0]!.currentPeriodEnd)).toBeGreaterThan(Date.parse(periodEnd));
  });

  it('renews a period once even when the job runs twice for it', async () => {
    const started = await shop.request('POST', '/subscriptions', { headers: customer.auth, body: { plan: 'pro' } });
    const asOf = new Date(Date.parse(started.body.currentPeriodEnd) + 1000);
    const service = shop.app.get(SubscriptionsService);

    expect(service.renewDue(asOf)).toHaveLength(1);
    expect(service.renewDue(asOf)).toHaveLength(0);

    await shop.settle(3);
    expect(shop.wireEventsNamed('subscription_renewed')).toHaveLength(1);
  });
});
