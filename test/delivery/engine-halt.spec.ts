import { describe, expect, it } from '@jest/globals';
import type { DeliveryHealth } from '../../lib/delivery/index.js';
import { eventually } from '../support/eventually.js';
import { expectInvariant, startHarness, stopHarnessesAfterEach } from './support/engine-harness.js';

stopHarnessesAfterEach();

describe('halt on refused credentials', () => {
  it('401: stops sending, keeps the queue, probes one batch at a time, and resumes on success', async () => {
    const harness = await startHarness({ haltProbeIntervalMs: 400, maxBatchEvents: 2 });
    const { engine, emulator } = harness;
    const health: DeliveryHealth[] = [];
    engine.on('health', (h) => health.push(h));
    emulator.inject(
      { kind: 'status', status: 401, code: 'authentication_required', message: 'The API key is invalid.' },
      { times: 2 },
    );
    engine.start();
    harness.capture({});
    harness.capture({});
    await eventually(() => engine.health().halted, 'the halt');
    expectInvariant(engine);

    // flush() does not hang on events that cannot be sent.
    for (let i = 0; i < 6; i++) harness.capture({});
    await engine.flush();
    expect(engine.stats()).toMatchObject({ halted: true, healthy: false, pending: 8, delivered: 0 });
    const h = engine.health();
    expect(h).toMatchObject({ healthy: false, halted: true, queueDepth: 8 });
    expect(h.lastError).toMatchObject({
      status: 401,
      code: 'authentication_required',
      requestId: expect.stringMatching(/^req_/),
    });
    expect(h.lastError!.message).toMatch(
      /Spotzee refused the API key: check that apiKey is a valid secret key.*HTTP 401 authentication_required "The API key is invalid\."/,
    );

    await eventually(() => engine.stats().delivered === 8, 'recovery after the probes');
    const statuses = [...emulator.requests].sort((a, b) => a.seq - b.seq).map((r) => r.status);
    // One refused request, one refused probe, then a successful probe and the rest.
    expect(statuses.slice(0, 3)).toEqual([401, 401, 204]);
    expect(statuses.slice(3).every((s) => s === 204)).toBe(true);
    expect(engine.health()).toMatchObject({ healthy: true, halted: false });
    expect(health.map((x) => x.halted)).toEqual([true, false]);
    expect(harness.logger.matching(/HALTED/)).toHaveLength(1);
    expect(harness.logger.messages('error')[0]).toMatch(/^Spotzee delivery HALTED: .*a probe retries every 0\.40 s\.$/);
    expect(harness.logger.matching(/delivery resumed/)).toHaveLength(1);
    expect(emulator.events).toHaveLength(8);
  });

  it('a key the server does not know halts with a message that never shows the key', async () => {
    const harness = await startHarness({ apiKey: 'sk_test_revoked_77aa', haltProbeIntervalMs: 60_000 });
    harness.capture({});
    await harness.engine.flush();
    expect(harness.engine.health()).toMatchObject({ halted: true, lastError: { status: 401 } });
    expect(JSON.stringify([harness.engine.health(), harness.logger.lines])).not.toContain('sk_test_revoked_77aa');
    // close() probes once more, then gives up at once instead of waiting a minute for the next probe.
    const report = await harness.engine.close({ deadlineMs: 5000 });
    expect(report).toMatchObject({ dropped: 1, timedOut: true });
    expect(harness.outcomes).toEqual([
      expect.objectContaining({
        outcome: 'dropped',
        reason: 'shutdown_deadline',
        message: expect.stringMatching(/refused the API key/),
      }),
    ]);
    expect(harness.emulator.requests).toHaveLength(2);
  });

  it('404 halts too (a wrong baseUrl), with a hint about it', async () => {
    const harness = await startHarness({ haltProbeIntervalMs: 60_000 });
    harness.emulator.inject({ kind: 'raw', status: 404, body: 'Not Found' });
    harness.capture({});
    await harness.engine.flush();
    expect(harness.engine.health().lastError!.message).toMatch(
      /^Check baseUrl \(http:\/\/127\.0\.0\.1:\d+\/api\/client\): requests go to .*\/events\. HTTP 404/,
    );
  });
});
