import { describe, expect, it } from '@jest/globals';
import type { BatchAttempt } from '../../lib/delivery/index.js';
import { SLOW_REQUEST_MS } from '../../lib/delivery/dispatch/send-scheduler.js';
import { eventually } from '../support/eventually.js';
import { expectInvariant, startHarness, stopHarnessesAfterEach } from './support/engine-harness.js';

stopHarnessesAfterEach();

describe('no head-of-line blocking', () => {
  it('a batch backing off after a 5xx never holds back the batches behind it', async () => {
    // Every backoff is drawn at its full minute: any batch that waited for the failed one would stall.
    const harness = await startHarness(
      { maxBatchEvents: 5, retryBaseMs: 60_000, retryMaxMs: 60_000 },
      {},
      { random: () => 0.999 },
    );
    const seen: BatchAttempt[] = [];
    harness.engine.on('attempt', (attempt) => seen.push(attempt));
    harness.emulator.inject({ kind: 'status', status: 503 }, { times: 1 });
    harness.engine.start();
    for (let i = 0; i < 5; i++) harness.capture({});
    await eventually(() => seen.some((a) => a.decision === 'retry'), 'the first batch to fail');
    for (let i = 0; i < 20; i++) harness.capture({});

    // The later batches flow past the failed one; the first of them accepted wakes it from its backoff.
    await eventually(() => harness.engine.stats().delivered === 25, 'every batch to be delivered');
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ delivered: 25, pending: 0, dropped: 0, retries: 1 });
    const delivered = seen.filter((a) => a.decision === 'delivered');
    expect(delivered).toHaveLength(5);
    expect(delivered[0]!.batchKey).not.toBe(seen[0]!.batchKey);
  });

  it('a request stuck on a slow answer stops counting against maxInFlight, so others go meanwhile', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const harness = await startHarness({ maxInFlight: 1, maxBatchEvents: 1, requestTimeoutMs: 60_000 });
    harness.emulator.inject({ kind: 'slow', delayMs: 0, until: held }, { times: 1 });
    harness.engine.start();
    harness.capture({});
    await eventually(() => harness.engine.stats().inFlightRequests === 1, 'the first request to be in flight');
    harness.capture({});
    harness.capture({});

    // With maxInFlight 1 these could only go after the held one, which is answered only below.
    await eventually(() => harness.engine.stats().delivered === 2, 'the two later events, past the slow request');
    expect(harness.engine.stats()).toMatchObject({ delivered: 2, pending: 1, inFlightRequests: 1 });
    release();
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ delivered: 3, pending: 0, requests: 3 });
  });

  it('never opens more than twice maxInFlight requests, however many are slow', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const harness = await startHarness({ maxInFlight: 2, maxBatchEvents: 1, requestTimeoutMs: 60_000 });
    harness.emulator.inject({ kind: 'slow', delayMs: 0, until: held }, { times: Infinity });
    harness.engine.start();
    for (let i = 0; i < 10; i++) harness.capture({});
    await eventually(() => harness.engine.stats().inFlightRequests === 4, 'four requests in flight');
    // Past the point where the second pair turns slow too: a fifth would leave now if the cap allowed it.
    // (The cap is what is asserted; a slower machine only makes the wait stricter.)
    await new Promise((resolve) => setTimeout(resolve, SLOW_REQUEST_MS + 500));
    expect(harness.engine.stats()).toMatchObject({ requests: 4, inFlightRequests: 4 });
    release();
    await harness.engine.flush();
    expect(harness.engine.stats()).toMatchObject({ delivered: 10, pending: 0 });
  });
});
