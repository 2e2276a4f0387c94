import { describe, expect, it } from '@jest/globals';
import type { BatchAttempt } from '../../lib/delivery/index.js';
import { eventually } from '../support/eventually.js';
import { expectInvariant, startHarness, stopHarnessesAfterEach } from './support/engine-harness.js';
import type { Harness } from './support/engine-harness.js';

stopHarnessesAfterEach();

function attempts(h: Harness): BatchAttempt[] {
  const list: BatchAttempt[] = [];
  h.engine.on('attempt', (attempt) => list.push(attempt));
  return list;
}

/** Requests in arrival order. */
function arrivals(h: Harness) {
  return [...h.emulator.requests].sort((a, b) => a.seq - b.seq);
}

describe('retries', () => {
  it('retries a 5xx with the identical body and Idempotency-Key, then delivers', async () => {
    const harness = await startHarness();
    const seen = attempts(harness);
    harness.emulator.inject({ kind: 'status', status: 503 }, { times: 2 });
    harness.engine.start();
    for (let i = 0; i < 5; i++) harness.capture({});
    await harness.engine.flush();
    expectInvariant(harness.engine);

    const requests = arrivals(harness);
    expect(requests.map((r) => r.status)).toEqual([503, 503, 204]);
    expect(new Set(requests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    expect(harness.emulator.events).toHaveLength(5);
    expect(seen.map((a) => [a.decision, a.attempt, a.status])).toEqual([
      ['retry', 1, 503],
      ['retry', 2, 503],
      ['delivered', 3, 204],
    ]);
    expect(seen[0]!.error).toMatch(/HTTP 503 service_unavailable .*request_id req_/);
    expect(harness.engine.stats()).toMatchObject({ delivered: 5, requests: 3, retries: 2 });
    // The same failure twice in a row is one line: outages must not flood the log.
    const warnings = harness.logger.matching(/failed: HTTP 503/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Spotzee batch spz_\S+ \(5 events\) failed: HTTP 503 service_unavailable ".*" \(request_id req_\w+\), attempt 1; retrying in \d+\.\d+ s \(retry budget left: 60\.0 min\)\.$/,
    );
  });

  it('after an outage, the first accepted batch wakes the others from their backoff', async () => {
    // The first retry is drawn short and every later one a full minute: without the wake-up, the other
    // batches (and every event queued behind them) would wait that minute out after Spotzee came back.
    let draws = 0;
    const random = () => (draws++ === 0 ? 0.02 : 1);
    const harness = await startHarness(
      { maxBatchEvents: 10, maxInFlight: 4, retryBaseMs: 60_000, retryMaxMs: 60_000 },
      {},
      { random },
    );
    const seen = attempts(harness);
    await harness.emulator.down();
    harness.engine.start();
    for (let i = 0; i < 40; i++) harness.capture({});
    await eventually(() => seen.filter((a) => a.decision === 'retry').length === 4, 'the four batches to fail once');
    await harness.emulator.up();
    for (let i = 0; i < 20; i++) harness.capture({});

    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.emulator.events).toHaveLength(60);
    expect(harness.engine.stats()).toMatchObject({ delivered: 60, dropped: 0, retries: 4 });
    // Each batch frozen during the outage was retried exactly once, under its own key.
    const retried = seen.filter((a) => a.decision === 'retry').map((a) => a.batchKey);
    const deliveredOnSecondAttempt = seen
      .filter((a) => a.decision === 'delivered' && a.attempt === 2)
      .map((a) => a.batchKey);
    expect(deliveredOnSecondAttempt.sort()).toEqual(retried.sort());
  });

  it('retries resets and lost responses; a replayed answer counts as delivered, once', async () => {
    const harness = await startHarness();
    harness.emulator.inject({ kind: 'reset' }, { times: 1 });
    harness.emulator.inject({ kind: 'lost_response' }, { times: 1 });
    harness.engine.start();
    harness.capture({});
    harness.capture({});
    await harness.engine.flush();
    const requests = arrivals(harness);
    expect(requests.map((r) => [r.status, r.fault ?? null, r.replayed])).toEqual([
      [null, 'reset', false],
      [null, 'lost_response', false],
      [204, null, true],
    ]);
    expect(new Set(requests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(harness.emulator.events).toHaveLength(2);
    expect(harness.outcomes).toEqual([
      expect.objectContaining({ outcome: 'delivered', replayed: true }),
      expect.objectContaining({ outcome: 'delivered', replayed: true }),
    ]);
    expect(harness.emulator.stats().idempotencyMismatches).toBe(0);
  });

  it('times out a slow answer, then resolves it through in-progress and replay without a duplicate', async () => {
    const harness = await startHarness({ requestTimeoutMs: 150, retryBaseMs: 1, retryMaxMs: 1 });
    harness.emulator.inject({ kind: 'slow', delayMs: 600 }, { times: 1 });
    harness.engine.start();
    harness.capture({});
    await harness.engine.flush();
    expect(harness.emulator.events).toHaveLength(1);
    expect(harness.engine.stats()).toMatchObject({ delivered: 1, pending: 0 });
    const keys = new Set(harness.emulator.requests.map((r) => r.idempotencyKey));
    expect(keys.size).toBe(1);
    expect(harness.emulator.stats().idempotencyMismatches).toBe(0);
    // Whether the retry meets "in progress" or the replay depends on timing; either way: one event, one key.
    expect(harness.emulator.requests.length).toBeGreaterThanOrEqual(2);
    expect(
      harness.logger.matching(/no response \(SPOTZEE_REQUEST_TIMEOUT: no answer within requestTimeoutMs \(150 ms\)/)
        .length,
    ).toBeGreaterThanOrEqual(1);
  });

  it('drops the events as retries_exhausted once maxAttempts transient failures are spent', async () => {
    const harness = await startHarness({ maxAttempts: 3 });
    harness.emulator.inject({ kind: 'status', status: 500 }, { times: Infinity });
    harness.engine.start();
    harness.capture({ name: 'invoice_paid' });
    harness.capture({});
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.emulator.requests).toHaveLength(3);
    expect(new Set(harness.emulator.requests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(harness.engine.stats()).toMatchObject({ captured: 2, dropped: 2, delivered: 0, rejected: 0, pending: 0 });
    expect(harness.outcomes).toEqual([
      expect.objectContaining({
        outcome: 'dropped',
        reason: 'retries_exhausted',
        message: expect.stringMatching(
          /^Spotzee event "invoice_paid" dropped after 3 failed attempts \(last: HTTP 500 internal_error/,
        ),
      }),
      expect.objectContaining({ outcome: 'dropped', reason: 'retries_exhausted' }),
    ]);
    expect(harness.logger.messages('error')).toEqual([
      expect.stringMatching(
        /attempt 3; giving up after 3 failed attempts, its events are dropped \(retries_exhausted\)/,
      ),
    ]);
    expect(harness.engine.health().lastError).toMatchObject({
      status: 500,
      code: 'internal_error',
      requestId: expect.stringMatching(/^req_/),
    });
  });

  it('retries for a time budget, not a number of attempts: an outage costs nothing while it lasts', async () => {
    // No maxAttempts: the default budget is an hour. Dozens of failed attempts later, nothing is lost.
    const harness = await startHarness({ retryBaseMs: 1, retryMaxMs: 5 });
    const seen = attempts(harness);
    await harness.emulator.down();
    harness.engine.start();
    for (let i = 0; i < 3; i++) harness.capture({});
    await eventually(() => seen.filter((a) => a.decision === 'retry').length >= 30, 'thirty failed attempts');
    expect(harness.engine.stats()).toMatchObject({ dropped: 0, pending: 3 });
    await harness.emulator.up();
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ delivered: 3, dropped: 0, pending: 0 });
    expect(harness.emulator.events).toHaveLength(3);
  });

  it('drops as retries_exhausted once retryForMs has passed since the first failure, after a last attempt at its end', async () => {
    const harness = await startHarness({ retryForMs: 300, retryBaseMs: 40, retryMaxMs: 40 });
    harness.emulator.inject({ kind: 'status', status: 500 }, { times: Infinity });
    harness.engine.start();
    harness.capture({ name: 'invoice_paid' });
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ captured: 1, dropped: 1, delivered: 0, pending: 0 });
    expect(harness.outcomes).toEqual([
      expect.objectContaining({
        outcome: 'dropped',
        reason: 'retries_exhausted',
        message: expect.stringMatching(
          /^Spotzee event "invoice_paid" dropped after retrying for \d+\.\d\d s \(retryForMs; \d+ failed attempts\) \(last: HTTP 500 internal_error/,
        ),
      }),
    ]);
    expect(harness.logger.messages('error')).toEqual([
      expect.stringMatching(
        /giving up after retrying for \d+\.\d\d s \(retryForMs; \d+ failed attempts\), its events are dropped/,
      ),
    ]);
    // The whole budget was used: the drop came only once 300 ms had passed since the first failure,
    // and the last attempt went out at most one backoff (40 ms) before the budget's end. Usually it
    // goes out at the end itself; on a loaded machine an attempt launched earlier may still be in
    // flight when the budget ends, and its failure is then the last one.
    const spentSeconds = Number(/retrying for (\d+\.\d\d) s/.exec(harness.logger.messages('error')[0]!)![1]);
    expect(spentSeconds).toBeGreaterThanOrEqual(0.3);
    const requests = arrivals(harness);
    const span = requests.at(-1)!.receivedAt.getTime() - requests[0]!.receivedAt.getTime();
    expect(span).toBeGreaterThanOrEqual(300 - 40);
    expect(new Set(requests.map((r) => r.idempotencyKey)).size).toBe(1);
  });

  it('pauses ALL sending on 429 for Retry-After, doubling on repeats, without spending attempts', async () => {
    const harness = await startHarness({ maxAttempts: 1, maxBatchEvents: 1, maxInFlight: 1 });
    const seen = attempts(harness);
    harness.emulator.inject({ kind: 'rate_limit', retryAfterSeconds: 0.05 }, { times: 3 });
    harness.engine.start();
    harness.capture({});
    harness.capture({});
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ delivered: 2, dropped: 0, rateLimited: 3, requests: 5 });
    const requests = arrivals(harness);
    expect(requests.map((r) => r.status)).toEqual([429, 429, 429, 204, 204]);
    // The paused batch keeps its key; nothing else was sent during a pause.
    expect(new Set(requests.slice(0, 4).map((r) => r.idempotencyKey)).size).toBe(1);
    const gaps = requests.slice(1, 4).map((r, i) => r.receivedAt.getTime() - requests[i]!.receivedAt.getTime());
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(gaps[2]).toBeGreaterThanOrEqual(195);
    expect(seen.slice(0, 3).map((a) => a.decision)).toEqual(['paused', 'paused', 'paused']);
    // One line for the whole episode of pauses in a row, not one per 429.
    expect(harness.logger.matching(/slow down/)).toEqual([
      expect.stringMatching(
        /^Spotzee asked to slow down: HTTP 429 rate_limited .*; pausing all sending for 0\.05 s\. Further pauses before the next delivery are not logged\.$/,
      ),
    ]);
  });

  it('treats 409 idempotency_in_progress as a pause, not a failure', async () => {
    const harness = await startHarness({ maxAttempts: 1 });
    harness.emulator.inject(
      {
        kind: 'raw',
        status: 409,
        headers: { 'retry-after': '0.02' },
        body: { status: 'error', code: 'idempotency_in_progress', message: 'busy' },
      },
      { times: 2 },
    );
    harness.engine.start();
    harness.capture({});
    await harness.engine.flush();
    expect(harness.engine.stats()).toMatchObject({ delivered: 1, rateLimited: 2, dropped: 0 });
  });

  it('waits 10 s when a 429 has no Retry-After, and close() does not wait for a pause past its deadline', async () => {
    const harness = await startHarness({ maxAttempts: 1, rateLimitMaxMs: 60_000 });
    harness.emulator.inject({ kind: 'rate_limit', retryAfterSeconds: null }, { times: 1 });
    harness.engine.start();
    harness.capture({});
    await eventually(() => harness.logger.matching(/pausing all sending/).length > 0, 'the pause');
    expect(harness.logger.matching(/pausing all sending for (9\.\d+|10\.0) s/)).toHaveLength(1);
    const report = await harness.engine.close({ deadlineMs: 3000 });
    expect(report).toMatchObject({ dropped: 1, timedOut: true });
    expect(harness.outcomes).toEqual([
      expect.objectContaining({ reason: 'shutdown_deadline', message: expect.stringMatching(/rate limiting/) }),
    ]);
  });
});
