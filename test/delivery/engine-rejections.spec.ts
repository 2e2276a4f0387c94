import { describe, expect, it } from '@jest/globals';
import type { PreparedEvent, RejectedOutcome } from '../../lib/delivery/index.js';
import { batchKey } from '../../lib/delivery/index.js';
import { expectInvariant, startHarness, stopHarnessesAfterEach } from './support/engine-harness.js';
import type { Harness } from './support/engine-harness.js';

stopHarnessesAfterEach();

function arrivals(h: Harness) {
  return [...h.emulator.requests].sort((a, b) => a.seq - b.seq);
}

function rejections(h: Harness): RejectedOutcome[] {
  return h.outcomes.filter((o): o is RejectedOutcome => o.outcome === 'rejected');
}

describe('server rejections', () => {
  it('422 naming items: rejects those, resends the rest as a new batch under a new key', async () => {
    const harness = await startHarness({}, { maxNameLength: 12 });
    const captured: PreparedEvent[] = [];
    harness.engine.on('captured', (event) => captured.push(event));
    for (const name of ['ok_one', 'much_too_long_name', 'ok_two', 'also_far_too_long', 'ok_three']) {
      harness.capture({ name, source: 'BillingService' });
    }
    await harness.engine.flush();
    expectInvariant(harness.engine);

    const requests = arrivals(harness);
    expect(requests.map((r) => r.status)).toEqual([422, 204]);
    expect(requests[0]!.idempotencyKey).toBe(batchKey(captured));
    const kept = [captured[0]!, captured[2]!, captured[4]!];
    expect(requests[1]!.idempotencyKey).toBe(batchKey(kept));
    expect(requests[1]!.body).toBe(`[${kept.map((e) => e.json).join(',')}]`);
    expect(harness.emulator.events.map((e) => e.event.name)).toEqual(['ok_one', 'ok_two', 'ok_three']);

    const rejected = rejections(harness);
    expect(rejected).toHaveLength(2);
    expect(rejected[0]).toMatchObject({
      reason: 'server_rejected',
      code: 'parameter_invalid_length',
      param: 'name',
      requestId: requests[0]!.requestId,
      event: { name: 'much_too_long_name', source: 'BillingService' },
    });
    expect(rejected[0]!.message).toMatch(
      /^Spotzee rejected event "much_too_long_name" from BillingService: name: name is 18 characters.*request_id req_/,
    );
    expect(harness.engine.stats()).toMatchObject({ delivered: 3, rejected: 2, pending: 0 });
    const warning = harness.logger.matching(/^Spotzee rejected 2 of 5 events in batch/);
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(
      /HTTP 422 validation_failed.*#1 "much_too_long_name".*#3 "also_far_too_long".*Resending the other 3 as a new batch\.$/,
    );
  });

  it('400/422 naming no item: splits the batch until the bad event is isolated, each part under a new key', async () => {
    const harness = await startHarness({ maxBatchEvents: 8 });
    harness.emulator.inject(
      {
        kind: 'raw',
        status: 422,
        body: { status: 'error', code: 'validation_failed', message: 'Something in this batch is invalid.' },
      },
      { times: Infinity, match: (request) => request.body.includes('"poison"') },
    );
    for (let i = 0; i < 8; i++) harness.capture(i === 5 ? { name: 'poison' } : {});
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ delivered: 7, rejected: 1, pending: 0 });
    const rejected = rejections(harness);
    expect(rejected).toEqual([
      expect.objectContaining({
        reason: 'server_rejected',
        code: 'validation_failed',
        event: expect.objectContaining({ name: 'poison' }),
      }),
    ]);
    const requests = arrivals(harness);
    // 8 → 4+4 → 2+2 → 1+1: the poison is alone after three splits.
    expect(requests.filter((r) => r.status === 422).map((r) => JSON.parse(r.body).length)).toEqual([8, 4, 2, 1]);
    const bodiesByKey = new Map<string, Set<string>>();
    for (const r of requests) {
      bodiesByKey.set(r.idempotencyKey!, (bodiesByKey.get(r.idempotencyKey!) ?? new Set()).add(r.body));
    }
    expect([...bodiesByKey.values()].every((bodies) => bodies.size === 1)).toBe(true);
    expect(bodiesByKey.size).toBe(requests.length);
    expect(harness.emulator.events).toHaveLength(7);
    expect(harness.emulator.stats().idempotencyMismatches).toBe(0);
  });

  it('413: splits until the parts fit', async () => {
    const harness = await startHarness({ maxBatchEvents: 10 });
    harness.emulator.inject(
      { kind: 'raw', status: 413, body: { code: 'payload_too_large' } },
      { times: Infinity, match: (r) => r.bodyBytes > 400 },
    );
    for (let i = 0; i < 10; i++) harness.capture({});
    await harness.engine.flush();
    expect(harness.engine.stats()).toMatchObject({ delivered: 10, rejected: 0 });
    expect(harness.emulator.events).toHaveLength(10);
    expect(harness.emulator.batches.every((b) => b.bytes <= 400)).toBe(true);
  });

  it('409 idempotency_key_mismatch: never resends that body, rejects its events and says it loudly', async () => {
    const harness = await startHarness();
    harness.emulator.inject({
      kind: 'raw',
      status: 409,
      body: { status: 'error', code: 'idempotency_key_mismatch', message: 'different body' },
    });
    harness.capture({});
    harness.capture({});
    await harness.engine.flush();
    expect(harness.emulator.requests).toHaveLength(1);
    expect(rejections(harness).map((r) => [r.reason, r.code])).toEqual([
      ['idempotency_key_mismatch', 'idempotency_key_mismatch'],
      ['idempotency_key_mismatch', 'idempotency_key_mismatch'],
    ]);
    expect(harness.logger.messages('error')).toEqual([
      expect.stringMatching(/409 idempotency_key_mismatch for batch spz_\S+ \(request_id req_\w+\).*never resent/),
    ]);
  });

  it('other 4xx (415, unknown 409, deprecated numeric codes): rejected, not retried', async () => {
    const harness = await startHarness({ maxBatchEvents: 1, maxInFlight: 1 });
    harness.emulator.inject({ kind: 'raw', status: 415, body: { code: 'unsupported_media_type', message: 'nope' } });
    harness.emulator.inject({ kind: 'raw', status: 409, body: { code: 40901, message: 'conflict' } });
    harness.capture({});
    harness.capture({});
    await harness.engine.flush();
    expect(harness.emulator.requests).toHaveLength(2);
    expect(rejections(harness).map((r) => r.code)).toEqual(['unsupported_media_type', 'http_409']);
    expect(harness.logger.matching(/^Spotzee refused batch .*Not retrying/)).toHaveLength(2);
  });

  it('survives malformed, truncated and oversized answers', async () => {
    const harness = await startHarness({ maxResponseBytes: 1024, maxBatchEvents: 1, maxInFlight: 1 });
    const { emulator } = harness;
    emulator.inject({
      kind: 'raw',
      status: 500,
      headers: { 'content-type': 'text/html' },
      body: '<html><body>Bad gateway</body></html>',
    });
    emulator.inject({ kind: 'raw', status: 200, body: { huge: 'x'.repeat(200_000) }, accept: true });
    emulator.inject({
      kind: 'raw',
      status: 422,
      body: { code: 'validation_failed', errors: [{ param: '0.name', message: 'y'.repeat(100_000) }] },
    });
    emulator.inject({ kind: 'raw', status: 400, body: '{"code": "param' });
    for (let i = 0; i < 4; i++) harness.capture({});
    await harness.engine.flush();
    expectInvariant(harness.engine);
    const requests = arrivals(harness);
    // Event 1: HTML 500 → retried, then accepted with an oversized 200 body. Event 2: the 422 body is
    // too large to read, so nothing is known about its items. Event 3: the 400 body is cut JSON. Both
    // fall back to the HTTP status. Event 4: a plain 204.
    expect(requests.map((r) => r.status)).toEqual([500, 200, 422, 400, 204]);
    expect(harness.engine.stats()).toMatchObject({ delivered: 2, rejected: 2, pending: 0 });
    expect(rejections(harness).map((r) => r.code)).toEqual(['http_422', 'http_400']);
  });
});
