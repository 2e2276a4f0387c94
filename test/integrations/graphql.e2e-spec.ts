import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { EMULATOR_API_KEY, SpotzeeEmulator } from '../../lib/emulator/index.js';
import { SpotzeeTracker } from '../../lib/index.js';
import { startApp } from '../support/loopback-app.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { GraphqlShopModule } from './fixtures/graphql/graphql-shop.module.js';

interface GraphqlResponse {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: string[] }>;
}

describe('GraphQL (Apollo, code-first)', () => {
  let emulator: SpotzeeEmulator;
  let app: INestApplication;
  let url: string;
  let tracker: SpotzeeTracker;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    emulator = await SpotzeeEmulator.start();
    const running = await startApp({
      imports: [
        GraphqlShopModule.register({
          apiKey: EMULATOR_API_KEY,
          baseUrl: emulator.baseUrl,
          // Nothing leaves before the test calls flush(), so "nothing was sent" is not a race.
          flushIntervalMs: 60_000,
          logger,
        }),
      ],
    });
    app = running.app;
    url = `${running.url}/graphql`;
    tracker = app.get(SpotzeeTracker);
  });

  afterAll(async () => {
    await app?.close();
    await emulator?.stop();
  });

  beforeEach(() => emulator.reset());

  async function graphql(
    query: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: GraphqlResponse }> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, body: (await response.json()) as GraphqlResponse };
  }

  it('recognises resolver methods as handlers (no misplaced-decorator warning at start-up)', () => {
    // The only start-up warnings are the naming pitfalls of the fixture's two `*_viewed` events.
    expect(logger.messages('warn').map((message) => message.slice(0, message.indexOf(' looks like')))).toEqual([
      'Event "catalog_viewed" (ShopResolver.products)',
      'Event "cart_viewed" (ShopResolver.cart)',
    ]);
  });

  it("sends a successful mutation's decorator event and the events it tracked, with the request's contact", async () => {
    const { status, body } = await graphql(
      'mutation { placeOrder(total: 25, email: "ada@example.com") { id total } }',
      {
        authorization: 'Bearer user_42',
        'x-anonymous-id': 'anon_7',
      },
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ placeOrder: { id: 'ord_1', total: 25 } });

    await tracker.flush();
    expect(emulator.events.map(({ event }) => event)).toEqual([
      {
        name: 'checkout_started',
        external_id: 'user_42',
        anonymous_id: 'anon_7',
        data: { total: 25 },
        created_at: expect.any(String),
      },
      {
        name: 'order_placed',
        external_id: 'user_42',
        anonymous_id: 'anon_7',
        data: { order_id: 'ord_1', total: 25 },
        user: { email: 'ada@example.com' },
        created_at: expect.any(String),
      },
    ]);
    // One request, committed together when the mutation completed; the key derives from the explicit event key.
    expect(emulator.batches).toHaveLength(1);
    expect(emulator.batches[0]!.idempotencyKey).toEqual(expect.any(String));
    expect(JSON.parse(emulator.batches[0]!.body)).toEqual(emulator.events.map(({ event }) => event));
  });

  it('sends nothing when the mutation throws, although GraphQL answers 200 with errors', async () => {
    const before = tracker.stats();
    const { status, body } = await graphql('mutation { placeOrder(total: -1, email: "bad@example.com") { id } }', {
      authorization: 'Bearer user_42',
    });
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors?.map((error) => error.message)).toEqual(['total must be positive']);

    await tracker.flush();
    expect(emulator.requests).toHaveLength(0);
    // Discarded, not rejected: the events were valid, the operation that produced them failed.
    expect(tracker.stats()).toMatchObject({
      captured: before.captured,
      rejected: before.rejected,
      dropped: before.dropped,
    });
  });

  it("sends one event per top-level field of a query, each with the request's contact", async () => {
    const { status, body } = await graphql('{ products { sku } cart { items } }', { 'x-anonymous-id': 'anon_9' });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();

    await tracker.flush();
    const events = emulator.events.map(({ event }) => event);
    expect(events).toHaveLength(2);
    expect(events).toEqual(
      expect.arrayContaining([
        { name: 'catalog_viewed', anonymous_id: 'anon_9', data: { products: 2 }, created_at: expect.any(String) },
        { name: 'cart_viewed', anonymous_id: 'anon_9', data: { items: 3 }, created_at: expect.any(String) },
      ]),
    );
  });

  it('commits field by field: the field that resolved sends, the one that threw sends nothing', async () => {
    const { status, body } = await graphql('{ products { sku } stock }', { authorization: 'Bearer user_5' });
    expect(status).toBe(200);
    expect(body.data).toBeNull(); // `stock` is non-nullable, so its error nulls the whole result…
    expect(body.errors?.map((error) => error.path)).toEqual([['stock']]);

    await tracker.flush();
    // …but `products` did resolve: its event is about a field the server computed successfully.
    expect(emulator.events.map(({ event }) => [event.name, event.external_id])).toEqual([['catalog_viewed', 'user_5']]);
  });

  it('keeps contacts apart across concurrent operations from different users', async () => {
    const count = 40;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        graphql(`mutation { placeOrder(total: ${n + 1}, email: "u${n}@example.com") { id } }`, {
          authorization: `Bearer user_${n}`,
        }),
      ),
    );
    expect(responses.every(({ body }) => body.errors === undefined)).toBe(true);

    await tracker.flush();
    const placed = emulator.eventsNamed('order_placed').map(({ event }) => event);
    expect(placed).toHaveLength(count);
    for (const event of placed) {
      const n = (event.data as { total: number }).total - 1;
      expect(event.external_id).toBe(`user_${n}`);
      expect(event.user).toEqual({ email: `u${n}@example.com` });
    }
  });
});
