import { describe, expect, it } from '@jest/globals';
import { DeliveryEngine } from '../../lib/delivery/index.js';
import { SpotzeeEmulator } from '../../lib/emulator/index.js';
import { eventually } from '../support/eventually.js';
import {
  FAST_OPTIONS,
  TEST_KEY,
  event,
  expectInvariant,
  startHarness,
  stopHarnessesAfterEach,
} from './support/engine-harness.js';

stopHarnessesAfterEach();

describe('flush()', () => {
  it('resolves at once when nothing is pending, and sends even before start()', async () => {
    const harness = await startHarness({ flushIntervalMs: 60_000 });
    await harness.engine.flush();
    harness.capture({});
    await harness.engine.flush();
    expect(harness.emulator.events).toHaveLength(1);
  });

  it('waits for events committed before the call, retries included, not for later ones', async () => {
    const harness = await startHarness({ maxBatchEvents: 1, maxAttempts: 100, retryBaseMs: 20, retryMaxMs: 200 });
    const { engine, emulator } = harness;
    const stuck = emulator.inject(
      { kind: 'status', status: 503 },
      { times: Infinity, match: (r) => r.body.includes('"late"') },
    );
    emulator.inject({ kind: 'status', status: 500 }, { times: 2, match: (r) => r.body.includes('"early"') });
    engine.start();
    harness.capture({ name: 'early' });
    const flushed = engine.flush();
    harness.capture({ name: 'late' });
    await flushed;
    expectInvariant(engine);
    expect(emulator.events.map((e) => e.event.name)).toEqual(['early']);
    expect(engine.stats()).toMatchObject({ delivered: 1, pending: 1 });
    await eventually(() => stuck.hits >= 2, 'the late event to be retried');
    stuck.cancel();
    await engine.flush();
    expect(emulator.events.map((e) => e.event.name)).toEqual(['early', 'late']);
  });

  it('never rejects, even when everything fails', async () => {
    const harness = await startHarness({ maxAttempts: 2 });
    await harness.emulator.down();
    harness.capture({});
    await expect(harness.engine.flush()).resolves.toBe(true);
    expect(harness.engine.stats()).toMatchObject({ dropped: 1, pending: 0 });
    await harness.emulator.up();
  });
});

describe('close()', () => {
  it('drains queued events and waiting retries, reports, and is idempotent', async () => {
    const harness = await startHarness({ flushIntervalMs: 60_000 });
    const { engine, emulator } = harness;
    emulator.inject({ kind: 'status', status: 503 }, { times: 2 });
    engine.start();
    for (let i = 0; i < 7; i++) harness.capture({});
    const closing = engine.close();
    expect(engine.close()).toBe(closing);
    const report = await closing;
    expect(report).toMatchObject({ delivered: 7, rejected: 0, dropped: 0, timedOut: false });
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(emulator.events).toHaveLength(7);
    expect(harness.logger.messages('log')).toContain(
      `Spotzee drained in ${report.durationMs} ms: 7 delivered, 0 rejected, 0 dropped.`,
    );
  });

  it('drains even when start() was never called', async () => {
    const harness = await startHarness();
    harness.capture({});
    expect(await harness.engine.close()).toMatchObject({ delivered: 1, timedOut: false });
  });

  it('refuses later events as dropped "closed"; flush() and start() after close are harmless', async () => {
    const harness = await startHarness();
    await harness.engine.close();
    harness.capture({ name: 'too_late' });
    harness.engine.start();
    await harness.engine.flush();
    expect(harness.engine.stats()).toMatchObject({ captured: 1, dropped: 1, pending: 0 });
    expect(harness.outcomes).toEqual([
      expect.objectContaining({
        outcome: 'dropped',
        reason: 'closed',
        message: 'Spotzee event "too_late" not queued: the Spotzee engine is shut down.',
      }),
    ]);
    expect(harness.emulator.requests).toHaveLength(0);
  });

  it('with Spotzee down: keeps retrying until the deadline, then reports every event as dropped', async () => {
    const harness = await startHarness({ maxAttempts: 100 });
    const { engine, emulator } = harness;
    await emulator.down();
    for (let i = 0; i < 5; i++) harness.capture({});
    const report = await engine.close({ deadlineMs: 400 });
    expectInvariant(engine);
    expect(report).toMatchObject({ delivered: 0, dropped: 5, timedOut: true });
    expect(engine.stats()).toMatchObject({ captured: 5, dropped: 5, pending: 0 });
    expect(engine.stats().requests).toBeGreaterThan(1);
    expect(harness.outcomes.every((o) => o.outcome === 'dropped' && o.reason === 'shutdown_deadline')).toBe(true);
    expect(harness.logger.messages('error')).toContain(
      `Spotzee drained in ${report.durationMs} ms: 0 delivered, 0 rejected, 5 dropped; events still pending at the deadline were dropped.`,
    );
    await eventually(
      () => harness.logger.matching(/^Spotzee dropped 5 events: 5 shutdown_deadline/).length === 1,
      'the drop summary',
    );
    await emulator.up();
  });

  it('aborts in-flight requests at the deadline', async () => {
    const harness = await startHarness({ requestTimeoutMs: 30_000 });
    harness.emulator.inject({ kind: 'slow', delayMs: 20_000 }, { times: 1 });
    harness.engine.start();
    harness.capture({});
    await eventually(() => harness.engine.stats().inFlightRequests === 1, 'the request in flight');
    const report = await harness.engine.close({ deadlineMs: 200 });
    expect(report).toMatchObject({ dropped: 1, timedOut: true });
    await eventually(() => harness.engine.stats().inFlightRequests === 0, 'the aborted request to land');
    expectInvariant(harness.engine);
  });

  it('with a zero deadline: drops at once', async () => {
    const harness = await startHarness();
    harness.capture({});
    expect(await harness.engine.close({ deadlineMs: 0 })).toMatchObject({ dropped: 1, timedOut: true });
  });

  it('engines that were never used close cleanly', async () => {
    const emulator = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY] });
    const engine = new DeliveryEngine({ apiKey: TEST_KEY, baseUrl: emulator.baseUrl, ...FAST_OPTIONS });
    expect(await engine.close()).toMatchObject({ delivered: 0, rejected: 0, dropped: 0, timedOut: false });
    engine.capture(event());
    expect(engine.stats()).toMatchObject({ captured: 1, dropped: 1 });
    await emulator.stop();
  });
});
