import { describe, expect, it } from '@jest/globals';
import type { DeliveryHealth } from '../../lib/delivery/index.js';
import { noContent, problem } from './support/adversarial-server.js';
import type { Answer } from './support/adversarial-server.js';
import { all, expectKeyNowhere, startAdversary, stopAdversariesAfterEach } from './support/adversarial-harness.js';

stopAdversariesAfterEach();

/** Answers the first `times` requests with `first`, every later one with 204. */
function firstThen(times: number, first: Answer): Answer {
  let seen = 0;
  return (request, res, socket) => (++seen <= times ? first(request, res, socket) : noContent(res));
}

/** How long the engine will wait, as `health()` says right after an answer. */
function pauseLeftMs(health: DeliveryHealth): number {
  return health.pausedUntil === null ? 0 : Date.parse(health.pausedUntil) - Date.now();
}

describe('waits the server asks for', () => {
  it('429 with Retry-After: 3600 pauses at most rateLimitMaxMs, says so, and shows the pause in health()', async () => {
    const adversary = await startAdversary(
      firstThen(1, (_r, res) => problem(res, 429, { code: 'rate_limited' }, { 'retry-after': '3600' })),
      { rateLimitMaxMs: 400 },
    );
    const paused: number[] = [];
    adversary.engine.on('attempt', (attempt) => {
      if (attempt.decision === 'paused') paused.push(pauseLeftMs(adversary.engine.health()));
    });
    adversary.capture(2);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(2, 'delivered'));
    expect(adversary.server.requests).toHaveLength(2);
    expect(paused).toHaveLength(1);
    expect(paused[0]).toBeGreaterThan(0);
    expect(paused[0]).toBeLessThanOrEqual(400);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(
        /^Spotzee asked to slow down: HTTP 429 rate_limited .*; pausing all sending for 0\.40 s \(it asked for 3600\.0 s; capped by rateLimitMaxMs 400 ms\)\./,
      ),
    ]);
    expect(adversary.engine.health().pausedUntil).toBeNull();
    expectKeyNowhere(adversary);
  });

  it('503 with Retry-After: 86400 waits at most retryMaxMs before the retry, and says so', async () => {
    const adversary = await startAdversary(
      firstThen(1, (_r, res) => problem(res, 503, { code: 'service_unavailable' }, { 'retry-after': '86400' })),
      { retryMaxMs: 50 },
    );
    const held: number[] = [];
    adversary.engine.on('attempt', (attempt) => {
      if (attempt.decision === 'retry') held.push(pauseLeftMs(adversary.engine.health()));
    });
    adversary.capture(3);
    await adversary.engine.flush();
    // health() shows the wait while the batch backs off (its retry waits; others would go on), never past retryMaxMs.
    expect(held).toHaveLength(1);
    expect(held[0]).toBeGreaterThan(0);
    expect(held[0]).toBeLessThanOrEqual(50);
    expect(adversary.fates()).toEqual(all(3, 'delivered'));
    expect(adversary.server.requests).toHaveLength(2);
    expect(adversary.server.requests[1]!.idempotencyKey).toBe(adversary.server.requests[0]!.idempotencyKey);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(
        /HTTP 503 service_unavailable .* \(Retry-After 86400\.0 s capped by retryMaxMs 50 ms\), attempt 1\/3; retrying in 0\.05 s \(retry budget left: 60\.0 min\)\.$/,
      ),
    ]);
  });

  it.each<[string, string | string[]]>([
    ['0', '0'],
    ['negative', '-30'],
    ['a date in the past', 'Tue, 01 Jan 2019 00:00:00 GMT'],
    ['garbage', 'soon-ish'],
    ['two values, the first 0', ['0', '5']],
  ])(
    'Retry-After %s is treated as absent: the pause doubles from a non-zero base, one log line',
    async (_label, value) => {
      const adversary = await startAdversary(
        firstThen(3, (_r, res) => problem(res, 429, { code: 'rate_limited' }, { 'retry-after': value })),
        { rateLimitMaxMs: 250, rateLimitJitterMs: 0 },
      );
      const paused: number[] = [];
      adversary.engine.on('attempt', (attempt) => {
        if (attempt.decision === 'paused') paused.push(pauseLeftMs(adversary.engine.health()));
      });
      adversary.capture(1);
      await adversary.engine.flush();
      expect(adversary.fates()).toEqual(['delivered']);
      // Three 429s, three pauses of the (capped) default 10 s each — not the jitter-only pauses of a 0.
      expect(adversary.server.requests).toHaveLength(4);
      expect(paused).toHaveLength(3);
      for (const left of paused) expect(left).toBeGreaterThan(200);
      expect(adversary.logger.matching(/slow down/)).toHaveLength(1);
      expect(adversary.logger.messages('warn')).toHaveLength(1);
    },
  );

  it('409 idempotency_in_progress forever: bounded per batch, then its retry budget ends it; flush() resolves', async () => {
    const adversary = await startAdversary(
      (_r, res) =>
        problem(res, 409, { code: 'idempotency_in_progress', param: 'Idempotency-Key' }, { 'retry-after': '0.05' }),
      { rateLimitMaxMs: 200, maxAttempts: 3, retryMaxMs: 20 },
    );
    adversary.capture(2);
    // A deadline on flush() stops the wait without touching the events.
    await expect(adversary.engine.flush({ timeoutMs: 10 })).resolves.toBe(false);
    expect(adversary.fates()).toEqual(all(2, 'pending'));
    await expect(adversary.engine.flush()).resolves.toBe(true);
    expect(adversary.fates()).toEqual(all(2, 'dropped:retries_exhausted'));
    const requests = adversary.server.requests.length;
    // ~200 ms of 50 ms pauses, then three failed attempts: a handful of requests, not a storm, not forever.
    expect(requests).toBeGreaterThanOrEqual(4);
    expect(requests).toBeLessThanOrEqual(12);
    expect(new Set(adversary.server.requests.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(adversary.logger.messages('warn')[0]).toMatch(
      /^Spotzee asked to slow down: HTTP 409 idempotency_in_progress/,
    );
    expect(adversary.logger.messages('error')).toEqual([
      expect.stringMatching(
        /still in progress after \d+\.\d\d s: treated as a failed attempt of this batch.*, attempt 3; giving up after 3 failed attempts/,
      ),
    ]);
    expect(adversary.outcomes[0]).toMatchObject({
      reason: 'retries_exhausted',
      message: expect.stringMatching(/dropped after 3 failed attempts \(last: HTTP 409 idempotency_in_progress/),
    });
    expectKeyNowhere(adversary);
  });

  it('flush({ timeoutMs }) refuses a timeout that is not a number of ms', async () => {
    const adversary = await startAdversary((_r, res) => noContent(res));
    adversary.capture(1);
    expect(() => adversary.engine.flush({ timeoutMs: -1 })).toThrow(
      'flush({ timeoutMs }) expects a finite number of ms ≥ 0, got -1.',
    );
    await expect(adversary.engine.flush({ timeoutMs: 5000 })).resolves.toBe(true);
  });
});
