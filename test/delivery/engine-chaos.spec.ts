import { describe, expect, it } from '@jest/globals';
import { DeliveryEngine } from '../../lib/delivery/index.js';
import { SpotzeeEmulator } from '../../lib/emulator/index.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { TEST_KEY, expectInvariant } from './support/engine-harness.js';

const EVENTS = 10_000;
const CHUNK = 250;

describe('randomised faults', () => {
  it(`delivers ${EVENTS} events exactly once through ≥20% mixed failures, with zero key mismatches`, async () => {
    const emulator = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY], maxRecordedRequests: 0 });
    emulator.chaos({
      rate: 0.35,
      seed: 20260428,
      faults: [
        { fault: { kind: 'status', status: 500 }, weight: 2 },
        { fault: { kind: 'status', status: 503 }, weight: 2 },
        { fault: { kind: 'rate_limit', retryAfterSeconds: 0.02 }, weight: 2 },
        { fault: { kind: 'reset' }, weight: 2 },
        { fault: { kind: 'lost_response' }, weight: 2 },
        { fault: { kind: 'slow', delayMs: 500 }, weight: 1 },
      ],
    });
    const logger = new RecordingLogger();
    const engine = new DeliveryEngine({
      apiKey: TEST_KEY,
      baseUrl: emulator.baseUrl,
      logger,
      maxBatchEvents: 50,
      maxInFlight: 4,
      flushIntervalMs: 5,
      // Longer than any normal answer on a loaded machine, shorter than a 'slow' fault.
      requestTimeoutMs: 250,
      maxAttempts: 100,
      retryBaseMs: 5,
      retryMaxMs: 40,
      rateLimitJitterMs: 10,
      rateLimitMaxMs: 200,
    });
    let violations = 0;
    engine.on('outcome', () => {
      const s = engine.stats();
      if (s.delivered + s.rejected + s.dropped + s.deduplicated + s.pending !== s.captured) violations += 1;
    });
    engine.start();

    for (let seq = 0; seq < EVENTS; seq++) {
      const result = engine.capture({ name: 'chaos_event', externalId: `user_${seq % 97}`, data: { seq } });
      expect(result.ok).toBe(true);
      if (seq % CHUNK === CHUNK - 1) {
        expectInvariant(engine);
        // Let sending interleave with capturing, as in a live app.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await engine.flush();
    const report = await engine.close({ deadlineMs: 5000 });

    if (process.env.CHAOS_DEBUG) console.log(engine.stats(), emulator.stats(), report);
    expect(violations).toBe(0);
    expectInvariant(engine);
    expect(report.timedOut).toBe(false);
    expect(engine.stats()).toMatchObject({ captured: EVENTS, delivered: EVENTS, rejected: 0, dropped: 0, pending: 0 });

    const seen = new Map<number, number>();
    for (const received of emulator.events) {
      const seq = (received.event.data as { seq: number }).seq;
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
    }
    expect(seen.size).toBe(EVENTS);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);

    const stats = emulator.stats();
    expect(stats.idempotencyMismatches).toBe(0);
    const faulted = Object.values(stats.faults).reduce((sum, n) => sum + n, 0);
    expect(faulted / stats.requests).toBeGreaterThanOrEqual(0.2);
    for (const kind of ['status', 'rate_limit', 'reset', 'lost_response', 'slow'] as const) {
      expect(stats.faults[kind]).toBeGreaterThan(0);
    }
    expect(stats.replays).toBeGreaterThan(0);
    expect(engine.stats().retries).toBeGreaterThan(0);
    expect(engine.stats().rateLimited).toBeGreaterThan(0);
    await emulator.stop();
  }, 120_000);
});
