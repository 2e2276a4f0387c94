import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import { DeliveryEngine, USER_AGENT, UndiciTransport, batchKey } from '../../lib/delivery/index.js';
import type { PreparedEvent, TransportRequest } from '../../lib/delivery/index.js';
import { SpotzeeEmulator } from '../../lib/emulator/index.js';
import { eventually } from '../support/eventually.js';
import { ObservingTransport } from '../support/observing-transport.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { TEST_KEY, event, expectInvariant, startHarness, stopHarnessesAfterEach } from './support/engine-harness.js';

stopHarnessesAfterEach();

/** The real undici transport, observed; eight connections, so the engine's own limits are what shows. */
function observedUndici(baseUrl: string, onSend?: (request: TransportRequest) => void): ObservingTransport {
  return new ObservingTransport(new UndiciTransport({ baseUrl, connectTimeoutMs: 2000, connections: 8 }), onSend);
}

describe('DeliveryEngine on the wire', () => {
  it('sends the joined event JSON byte for byte, with the contract headers', async () => {
    const captured: PreparedEvent[] = [];
    const harness = await startHarness({ maxBatchEvents: 3 });
    const { engine, emulator } = harness;
    engine.on('captured', (prepared) => captured.push(prepared));
    engine.start();
    harness.capture({ data: { total: 12.5, currency: 'EUR', Mixed_Case: true }, identify: { email: 'a@example.com' } });
    harness.capture({ anonymousId: 'anon_1', idempotencyKey: 'order_placed:ord_1' });
    harness.capture({ createdAt: '2026-04-01T00:00:00Z' });
    await engine.flush();
    expectInvariant(engine);

    expect(emulator.batches).toHaveLength(1);
    const [batch] = emulator.batches;
    expect(batch!.body).toBe(`[${captured.map((c) => c.json).join(',')}]`);
    expect(batch!.idempotencyKey).toBe(batchKey(captured));
    const request = emulator.requests[0]!;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['spotzee-version']).toBe('2026-04-28');
    expect(request.headers['user-agent']).toBe(USER_AGENT);
    expect(request.headers.authorization).toMatch(/^Bearer sk_/);
    expect(request.headers['x-spotzee-client-type']).toBeUndefined();
    expect(request.status).toBe(204);
    expect(batch!.events[0]).toEqual({
      name: 'order_placed',
      external_id: expect.any(String),
      data: { total: 12.5, currency: 'EUR', Mixed_Case: true },
      user: { email: 'a@example.com' },
      created_at: captured[0]!.createdAt,
    });
    expect(batch!.events[2]!.created_at).toBe('2026-04-01T00:00:00.000Z');
    expect(engine.stats()).toMatchObject({
      captured: 3,
      delivered: 3,
      pending: 0,
      requests: 1,
      retries: 0,
      inFlightRequests: 0,
    });
    expect(harness.outcomes.map((o) => o.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(harness.outcomes[0]).toMatchObject({
      batchKey: batch!.idempotencyKey,
      requestId: batch!.requestId,
      replayed: false,
    });
  });

  it('passes the exact Authorization header and the same Buffer the batch was frozen with', async () => {
    const emulator = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY] });
    const transport = observedUndici(emulator.baseUrl);
    const engine = new DeliveryEngine(
      { apiKey: TEST_KEY, baseUrl: emulator.baseUrl, flushIntervalMs: 5 },
      { transport },
    );
    engine.start();
    engine.capture(event());
    await engine.flush();
    expect(transport.requests[0]!.headers).toEqual({
      authorization: `Bearer ${TEST_KEY}`,
      'content-type': 'application/json',
      'spotzee-version': '2026-04-28',
      'user-agent': USER_AGENT,
      'idempotency-key': emulator.batches[0]!.idempotencyKey,
    });
    expect(transport.requests[0]!.url).toBe(`${emulator.baseUrl}/events`);
    await engine.close();
    await emulator.stop();
  });

  it('cuts batches at maxBatchEvents and maxBatchBytes, never splitting an event', async () => {
    const harness = await startHarness({ maxBatchEvents: 10, maxBatchBytes: 2048, maxInFlight: 1 });
    const { engine, emulator } = harness;
    engine.start();
    for (let i = 0; i < 35; i++) harness.capture({});
    for (let i = 0; i < 5; i++) harness.capture({ data: { pad: 'x'.repeat(600), i } });
    await engine.flush();
    const batches = emulator.batches;
    expect(batches.slice(0, 3).map((b) => b.events.length)).toEqual([10, 10, 10]);
    expect(batches.reduce((sum, b) => sum + b.events.length, 0)).toBe(40);
    batches.forEach((batch, i) => {
      expect(batch.bytes).toBeLessThanOrEqual(2048);
      expect(batch.body).toBe(`[${batch.events.map((e) => JSON.stringify(e)).join(',')}]`);
      const next = batches[i + 1];
      // Greedy: a batch is cut only when the next event would not fit.
      if (next !== undefined && batch.events.length < 10) {
        expect(batch.bytes + 1 + Buffer.byteLength(JSON.stringify(next.events[0]))).toBeGreaterThan(2048);
      }
    });
    // Arrival order is capture order.
    expect(emulator.events.map((e) => (e.event.data as { seq: number }).seq)).toEqual(
      [...emulator.events.map((e) => (e.event.data as { seq: number }).seq)].sort((a, b) => a - b),
    );
  });

  it('sends a partial batch flushIntervalMs after its first event, and nothing before start()', async () => {
    const harness = await startHarness({ flushIntervalMs: 30 });
    const { engine, emulator } = harness;
    harness.capture({});
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(emulator.requests).toHaveLength(0);
    expect(engine.stats()).toMatchObject({ pending: 1, queuedEvents: 1 });
    engine.start();
    engine.start();
    await emulator.waitForEvents(1);
    harness.capture({});
    await emulator.waitForEvents(2);
    await eventually(() => engine.stats().pending === 0, 'both delivered');
    expect(emulator.batches.map((b) => b.events.length)).toEqual([1, 1]);
  });

  it('sends a full batch at once without waiting for the interval', async () => {
    const harness = await startHarness({ flushIntervalMs: 60_000, maxBatchEvents: 5 });
    harness.engine.start();
    for (let i = 0; i < 5; i++) harness.capture({});
    await harness.emulator.waitForEvents(5);
    expect(harness.emulator.batches).toHaveLength(1);
  });

  it('sends a batch as soon as it fills, also after its first event armed the interval timer', async () => {
    const harness = await startHarness({ flushIntervalMs: 60_000, maxBatchEvents: 5 });
    harness.engine.start();
    harness.capture({});
    // The pump has run (immediates run in order) and armed the one-minute timer for this event.
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 4; i++) {
      harness.capture({});
      await new Promise((resolve) => setImmediate(resolve));
    }
    await harness.emulator.waitForEvents(5);
    expect(harness.emulator.batches.map((b) => b.events.length)).toEqual([5]);
  });

  it('keeps at most maxInFlight requests open', async () => {
    const emulator = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY], processingDelayMs: 20 });
    const transport = observedUndici(emulator.baseUrl);
    const engine = new DeliveryEngine(
      { apiKey: TEST_KEY, baseUrl: emulator.baseUrl, maxBatchEvents: 5, maxInFlight: 3 },
      { transport },
    );
    engine.start();
    for (let i = 0; i < 200; i++) engine.capture(event());
    await engine.flush();
    expect(emulator.events).toHaveLength(200);
    expect(transport.maxConcurrent).toBe(3);
    expect(engine.stats().requests).toBe(40);
    await engine.close();
    await emulator.stop();
  });

  it('sends from its own async context, never the caller’s AsyncLocalStorage', async () => {
    const als = new AsyncLocalStorage<{ requestId: string }>();
    const emulator = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY] });
    const seen: unknown[] = [];
    const transport = observedUndici(emulator.baseUrl, () => seen.push(als.getStore()));
    const engine = new DeliveryEngine(
      { apiKey: TEST_KEY, baseUrl: emulator.baseUrl, flushIntervalMs: 5, maxBatchEvents: 2 },
      { transport },
    );
    engine.on('delivered', () => seen.push(als.getStore()));
    engine.start();
    await als.run({ requestId: 'req-1' }, async () => {
      engine.capture(event());
      engine.capture(event()); // a full batch: sent right away, but not from inside this context
      engine.capture(event()); // a partial one: sent by the interval timer
      await new Promise((resolve) => setTimeout(resolve, 1));
      await engine.flush();
      expect(als.getStore()).toEqual({ requestId: 'req-1' });
    });
    expect(emulator.events).toHaveLength(3);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.every((store) => store === undefined)).toBe(true);
    await engine.close();
    await emulator.stop();
  });

  it('dry run: no key, no network, batches logged at debug level and delivered', async () => {
    const logger = new RecordingLogger();
    const engine = new DeliveryEngine({ dryRun: true, logger, flushIntervalMs: 5 });
    engine.start();
    engine.capture(event({ name: 'user_signed_up' }));
    await engine.flush();
    expect(engine.stats()).toMatchObject({ captured: 1, delivered: 1, requests: 1 });
    expect(
      logger
        .messages('debug')
        .some((line) =>
          /^Dry run: batch spz_\S+ \(1 event, \d+ bytes\) not sent: \[\{"name":"user_signed_up"/.test(line),
        ),
    ).toBe(true);
    const report = await engine.close();
    expect(report).toMatchObject({ delivered: 0, dropped: 0, timedOut: false });
  });

  it('exposes resolved options without the key', async () => {
    const harness = await startHarness();
    expect(harness.engine.options.baseUrl).toBe(harness.emulator.baseUrl);
    expect(harness.engine.options.hasApiKey).toBe(true);
    expect(JSON.stringify(harness.engine.options)).not.toContain(TEST_KEY);
    expect(Object.isFrozen(harness.engine.options)).toBe(true);
  });
});
