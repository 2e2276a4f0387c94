import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { EMULATOR_API_KEY, SpotzeeEmulator } from '../../lib/emulator/index.js';
import { SpotzeeTracker, type RejectedOutcome } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp } from '../support/loopback-app.js';
import { PLATFORMS } from '../support/platforms.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { responseProbe } from '../support/response-probe.module.js';
import { lateTracks } from './fixtures/orders.controller.js';
import { ShopModule } from './fixtures/shop.module.js';

describe.each(PLATFORMS)('capture on %s', (_platform, createAdapter) => {
  let emulator: SpotzeeEmulator;
  let app: INestApplication;
  let url: string;
  let tracker: SpotzeeTracker;
  const logger = new RecordingLogger();
  const rejections: RejectedOutcome[] = [];

  beforeAll(async () => {
    emulator = await SpotzeeEmulator.start();
    ({ app, url } = await startApp(
      {
        imports: [
          ShopModule.register({
            apiKey: EMULATOR_API_KEY,
            baseUrl: emulator.baseUrl,
            // Nothing leaves before the test calls flush(): capture time and send time stay apart.
            flushIntervalMs: 60_000,
            logger,
          }),
        ],
      },
      createAdapter(),
    ));
    tracker = app.get(SpotzeeTracker);
    tracker.on('rejected', (outcome) => rejections.push(outcome));
  });

  afterAll(async () => {
    await app?.close();
    await emulator?.stop();
  });

  beforeEach(() => {
    emulator.reset();
    logger.clear();
    rejections.length = 0;
  });

  /** Every response done server-side (so commit/discard ran), then every committed event settled. */
  async function settle(): Promise<void> {
    expect(responseProbe.opened).toBeGreaterThan(0);
    await eventually(responseProbe.allClosed, 'all responses closed');
    await tracker.flush();
  }

  function post(path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  function names(): string[] {
    return emulator.events.map(({ event }) => event.name);
  }

  it('sends the decorator event with ids, data and user block exactly as mapped, stamped at capture', async () => {
    const before = Date.now();
    const response = await post(
      '/orders',
      { total: 25, email: 'ada@example.com' },
      {
        authorization: 'Bearer user_42',
        'x-anonymous-id': 'anon_7',
      },
    );
    expect(response.status).toBe(201);
    const order = (await response.json()) as { id: string };
    const answeredAt = Date.now();
    await eventually(responseProbe.allClosed, 'all responses closed');
    await tracker.flush();

    expect(emulator.events).toHaveLength(1);
    const [received] = emulator.events;
    expect(received!.event).toEqual({
      name: 'order_placed',
      external_id: 'user_42',
      anonymous_id: 'anon_7',
      data: { order_id: order.id, total: 25, currency: 'EUR' },
      user: { email: 'ada@example.com' },
      created_at: expect.any(String),
    });
    const createdAt = Date.parse(received!.event.created_at!);
    expect(received!.event.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(createdAt).toBeLessThanOrEqual(answeredAt);
    expect(createdAt).toBeLessThan(received!.receivedAt.getTime());
    // The response body (card digits included) is never shipped unless a mapper asks for it.
    expect(emulator.batches[0]!.body).not.toContain('4242');
  });

  it('holds track() calls made three awaits deep in a service and sends them with the request contact', async () => {
    const response = await post('/orders/audited', { ref: 'r1' }, { authorization: 'Bearer 7' });
    expect(response.status).toBe(201);
    await settle();
    expect(emulator.events.map(({ event }) => event)).toEqual([
      { name: 'order_audited', external_id: '7', data: { ref: 'r1' }, created_at: expect.any(String) },
    ]);
  });

  it.each([
    ['the handler throws', '/orders/failing', 500],
    ['a pipe refuses the body', '/orders/checked', 400],
    ['a guard refuses the request', '/orders/guarded', 403],
    ['an exception filter answers 402', '/orders/pay', 402],
  ])('sends nothing when %s', async (_case, path, status) => {
    const before = tracker.stats();
    const response = await post(path, { amount: -1 }, { authorization: 'Bearer user_1' });
    expect(response.status).toBe(status);
    await settle();
    expect(emulator.events).toHaveLength(0);
    expect(emulator.requests).toHaveLength(0);
    const after = tracker.stats();
    expect(after.captured).toBe(before.captured);
    expect(after.rejected).toBe(before.rejected);
  });

  it('never mixes contexts across 200 concurrent requests from different users', async () => {
    const count = 200;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        post(`/visits/${n}`, {}, { authorization: `Bearer user_${n}`, 'x-anonymous-id': `anon_${n}` }),
      ),
    );
    expect(responses.every((response) => response.status === 201)).toBe(true);
    await settle();

    expect(emulator.events).toHaveLength(count * 2);
    for (const { event } of emulator.events) {
      const n = (event.data as { n: number }).n;
      expect(event.external_id).toBe(`user_${n}`);
      expect(event.anonymous_id).toBe(`anon_${n}`);
    }
    for (const name of ['page_viewed', 'visit_audited']) {
      const seen = emulator.eventsNamed(name).map(({ event }) => (event.data as { n: number }).n);
      expect(new Set(seen).size).toBe(count);
    }
  });

  it('emits one event per stacked decorator, and none for a decorator whose `when` is false', async () => {
    await post('/orders', { total: 20, email: 'small@example.com' }, { authorization: 'Bearer user_1' });
    await post('/orders', { total: 1500, email: 'big@example.com' }, { authorization: 'Bearer user_2' });
    await settle();
    expect(names()).toEqual(['order_placed', 'order_placed', 'big_order_placed']);
    const big = emulator.eventsNamed('big_order_placed')[0]!.event;
    expect(big).toMatchObject({ external_id: 'user_2', data: { order_id: expect.stringMatching(/^ord_/) } });
    expect(big.user).toBeUndefined();
  });

  it('stitches the visitor to the new contact on sign-up (external id from the response, anonymous id from the header)', async () => {
    const response = await post('/accounts', { email: 'grace@example.com' }, { 'x-anonymous-id': 'anon_visitor_9' });
    const account = (await response.json()) as { id: string };
    await settle();
    expect(emulator.events.map(({ event }) => event)).toEqual([
      {
        name: 'account_created',
        external_id: account.id,
        anonymous_id: 'anon_visitor_9',
        data: { plan: 'free' },
        user: { email: 'grace@example.com', data: { plan: 'free' } },
        created_at: expect.any(String),
      },
    ]);
  });

  it('treats a track() made after the request verdict as outside any request: no inherited contact, no discard', async () => {
    const done = lateTracks.done;
    const before = tracker.stats();
    expect((await post('/orders/background', { ref: 'bg1' }, { authorization: 'Bearer user_5' })).status).toBe(201);
    expect((await post('/orders/background-failing', {}, { authorization: 'Bearer user_5' })).status).toBe(400);
    await eventually(() => lateTracks.done === done + 2, 'both late track() calls ran');
    await settle();
    // Neither borrows user_5's id any more: both are id-less events outside a request, rejected and counted.
    expect(emulator.events).toEqual([]);
    expect(rejections.map((outcome) => [outcome.event.name, outcome.reason, outcome.event.source])).toEqual([
      ['receipt_emailed', 'missing_contact', 'SpotzeeTracker.track()'],
      ['late_event_never_sent', 'missing_contact', 'SpotzeeTracker.track()'],
    ]);
    expect(tracker.stats().discarded - before.discarded).toBe(0);
  });

  it('passes a StreamableFile through untouched and still sends its event', async () => {
    const response = await fetch(`${url}/misc/export`, { headers: { authorization: 'Bearer user_3' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('id,total\nord_1,10\n');
    await settle();
    expect(emulator.events.map(({ event }) => [event.name, event.external_id, event.data])).toEqual([
      ['export_downloaded', 'user_3', { format: 'csv' }],
    ]);
  });

  it('rejects the event of a throwing mapper, names it and the route, and leaves the request and other events alone', async () => {
    const before = tracker.stats();
    const response = await post('/misc/broken', {}, { authorization: 'Bearer user_8' });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true });
    await settle();

    expect(names()).toEqual(['healthy_event']);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      reason: 'invalid_data',
      param: 'data',
      event: { name: 'broken_mapper', externalId: 'user_8' },
    });
    expect(rejections[0]!.message).toContain(
      "@EmitsEvent('broken_mapper') on POST /misc/broken threw: Error: mapper bug",
    );
    expect(logger.messages('warn').some((line) => line.includes('broken_mapper') && line.includes('mapper bug'))).toBe(
      true,
    );
    const after = tracker.stats();
    expect(after.rejected - before.rejected).toBe(1);
    expect(after.captured - before.captured).toBe(2);
    expect(after.captured).toBe(after.delivered + after.rejected + after.dropped + after.deduplicated + after.pending);
  });

  it('keeps the request context through SSE emissions', async () => {
    const response = await fetch(`${url}/misc/ticks`, { headers: { authorization: 'Bearer user_sse' } });
    expect(await response.text()).toContain('data: {"i":2}');
    await settle();
    expect(emulator.events.map(({ event }) => [event.name, event.external_id, event.data])).toEqual([
      ['tick_streamed', 'user_sse', { i: 0 }],
      ['tick_streamed', 'user_sse', { i: 1 }],
      ['tick_streamed', 'user_sse', { i: 2 }],
    ]);
  });

  it('captures once when the interceptor is also applied with @UseInterceptors', async () => {
    await post('/misc/nested', {}, { authorization: 'Bearer user_4' });
    await settle();
    expect(names().sort()).toEqual(['nested_checked', 'nested_tracked']);
  });

  it('checks data against a Standard Schema (zod) and a class-validator DTO', async () => {
    await post('/misc/zod', { total: 12.5 }, { authorization: 'Bearer user_6' });
    await post('/misc/zod', { total: -3 }, { authorization: 'Bearer user_6' });
    await post('/misc/dto', { quantity: 2 }, { authorization: 'Bearer user_6' });
    await post('/misc/dto', { quantity: 0 }, { authorization: 'Bearer user_6' });
    await settle();

    expect(emulator.events.map(({ event }) => [event.name, event.data])).toEqual([
      ['total_checked', { total: 12.5 }],
      ['quantity_checked', { quantity: 2 }],
    ]);
    expect(rejections.map((outcome) => [outcome.reason, outcome.event.name, outcome.param])).toEqual([
      ['schema_failed', 'total_checked', 'data.total'],
      ['schema_failed', 'quantity_checked', 'data.quantity'],
    ]);
    expect(rejections[1]!.message).toContain(
      'Event "quantity_checked" from POST /misc/dto does not match its schema: data.quantity: quantity must not be less than 1',
    );
  });

  it('never throws from track(): bad input outside a request becomes a counted, reported rejection', async () => {
    const before = tracker.stats();
    const circular: Record<string, unknown> = { step: 1 };
    circular.self = circular;
    expect(() => tracker.track('report_built', { externalId: 'u1', data: circular })).not.toThrow();
    expect(() => tracker.track(undefined as never)).not.toThrow();
    expect(() => tracker.track('report_built', null as never)).not.toThrow();
    expect(() => tracker.track('report_built', { externalId: 'u1', data: { total: 10n } as never })).not.toThrow();
    await tracker.flush();

    expect(rejections.map((outcome) => [outcome.event.name, outcome.reason])).toEqual([
      ['report_built', 'not_serialisable'],
      ['<undefined>', 'invalid_name'],
      ['report_built', 'missing_contact'],
      ['report_built', 'not_serialisable'],
    ]);
    expect(rejections.every((outcome) => outcome.event.source === 'SpotzeeTracker.track()')).toBe(true);
    const after = tracker.stats();
    expect(after.rejected - before.rejected).toBe(4);
    expect(after.captured).toBe(after.delivered + after.rejected + after.dropped + after.deduplicated + after.pending);
    expect(emulator.events).toHaveLength(0);
  });
});
