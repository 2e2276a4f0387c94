import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { DeliveryEngine } from '../../lib/delivery/index.js';
import { SpotzeeEmulator } from '../../lib/emulator/index.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { FAST_OPTIONS, TEST_KEY, event } from './support/engine-harness.js';

describe('API key redaction', () => {
  it('never lets the key reach logs, errors, stats, health, options or listener payloads', async () => {
    const emulator = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY] });
    const echo = `key ${TEST_KEY} / Authorization: Bearer ${TEST_KEY}`;
    emulator.inject({
      kind: 'raw',
      status: 500,
      body: { code: 'internal_error', message: `upstream failed for ${echo}` },
    });
    emulator.inject({
      kind: 'raw',
      status: 429,
      headers: { 'retry-after': '0.01' },
      body: { code: 'rate_limited', message: echo },
    });
    emulator.inject({
      kind: 'raw',
      status: 422,
      body: { code: 'validation_failed', message: echo, errors: [{ param: '0.name', code: 'bad', message: echo }] },
    });
    emulator.inject({
      kind: 'raw',
      status: 401,
      body: { code: 'authentication_required', message: `The key ${TEST_KEY} is invalid`, request_id: TEST_KEY },
    });
    emulator.inject({
      kind: 'raw',
      status: 415,
      headers: { 'x-request-id': `req_${TEST_KEY}` },
      body: { code: 'unsupported', message: echo },
    });
    emulator.inject({ kind: 'reset' });

    const logger = new RecordingLogger();
    const engine = new DeliveryEngine({
      apiKey: TEST_KEY,
      baseUrl: emulator.baseUrl,
      logger,
      ...FAST_OPTIONS,
      maxBatchEvents: 1,
      maxInFlight: 1,
      maxAttempts: 2,
      maxQueueEvents: 20,
    });
    const emitted: unknown[] = [];
    for (const type of ['captured', 'delivered', 'rejected', 'dropped', 'outcome', 'attempt', 'health'] as const) {
      engine.on(type, (payload: unknown) => emitted.push({ type, payload }));
    }
    engine.start();
    for (let i = 0; i < 8; i++) engine.capture(event());
    engine.capture(event({ name: '' }));
    engine.capture(event({ idempotencyKey: 'dup' }));
    engine.capture(event({ idempotencyKey: 'dup' }));
    await engine.flush();
    await new Promise((resolve) => setTimeout(resolve, FAST_OPTIONS.haltProbeIntervalMs! * 3));
    await engine.flush();
    await emulator.down();
    for (let i = 0; i < 25; i++) engine.capture(event());
    const report = await engine.close({ deadlineMs: 300 });
    await emulator.stop();

    const everything = JSON.stringify({
      lines: logger.lines,
      emitted,
      stats: engine.stats(),
      health: engine.health(),
      options: engine.options,
      report,
    });
    // The scenario really went through the error paths…
    expect(engine.stats().rejected).toBeGreaterThanOrEqual(3);
    expect(engine.stats().dropped).toBeGreaterThan(0);
    expect(emitted.some((e) => (e as { type: string }).type === 'health')).toBe(true);
    expect(everything).toContain('[redacted]');
    // …and the key is nowhere.
    const at = everything.indexOf(TEST_KEY);
    expect(at === -1 ? 'nowhere' : everything.slice(Math.max(0, at - 300), at + 50)).toBe('nowhere');
    expect(inspect(engine, { depth: 10, showHidden: true })).not.toContain(TEST_KEY);
    expect(everything).not.toContain(TEST_KEY.slice(3));
  });
});
