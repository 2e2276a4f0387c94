import { describe, expect, it } from '@jest/globals';
import { SpotzeeEmulator } from 'nestjs-spotzee/emulator';
import { suiteEmulator } from '../support/suite-emulator.js';
import { networkError, post, problemOf, wireEvent } from './emulator-client.js';

describe('SpotzeeEmulator: idempotency', () => {
  const emulator = suiteEmulator();

  it('replays the original 204 for the same key and bytes, with Idempotent-Replayed, and stores nothing new', async () => {
    const body = JSON.stringify([wireEvent()]);
    const first = await post(emulator(), body, { idempotencyKey: 'order_placed:ord_1' });
    const again = await post(emulator(), body, { idempotencyKey: 'order_placed:ord_1' });

    expect(first.status).toBe(204);
    expect(again.status).toBe(204);
    expect(await again.text()).toBe('');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('x-request-id')).toMatch(/^req_/);
    expect(again.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
    expect(again.headers.get('x-ratelimit-limit')).toBe('25000');
    expect(emulator().events).toHaveLength(1);
    expect(emulator().batches).toHaveLength(1);
    expect(emulator().requests[1]).toMatchObject({ status: 204, replayed: true, acceptedEvents: 0 });
    expect(emulator().stats()).toMatchObject({ replays: 1, acceptedEvents: 1, acceptedBatches: 1, requests: 2 });
  });

  it('409s the same key with a different body as idempotency_key_mismatch', async () => {
    await post(emulator(), [wireEvent()], { idempotencyKey: 'k' });
    const changed = await post(emulator(), [wireEvent({ data: { total: 1 } })], { idempotencyKey: 'k' });
    expect(changed.status).toBe(409);
    expect(await problemOf(changed)).toMatchObject({ code: 'idempotency_key_mismatch', param: 'Idempotency-Key' });
    expect(emulator().events).toHaveLength(1);
    expect(emulator().stats()).toMatchObject({
      idempotencyMismatches: 1,
      clientErrors: { idempotency_key_mismatch: 1 },
    });
  });

  it('compares bytes, not JSON meaning: reordered keys are a mismatch', async () => {
    await post(emulator(), '[{"name":"a","external_id":"u"}]', { idempotencyKey: 'k' });
    const reordered = await post(emulator(), '[{"external_id":"u","name":"a"}]', { idempotencyKey: 'k' });
    expect(reordered.status).toBe(409);
  });

  it('replays a remembered 4xx with its original body', async () => {
    const invalid = [wireEvent({ name: '' })];
    const first = await post(emulator(), invalid, { idempotencyKey: 'bad' });
    const firstBody = await first.text();
    const again = await post(emulator(), invalid, { idempotencyKey: 'bad' });
    expect(again.status).toBe(422);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(await again.text()).toBe(firstBody);
    expect(again.headers.get('x-ratelimit-limit')).toBeNull();
    expect(emulator().requests[1]).toMatchObject({ status: 422, code: 'validation_failed', replayed: true });
  });

  it('409s a concurrent retry while the first is running as idempotency_in_progress with Retry-After, then replays', async () => {
    const { claimed, release } = slowFirstRequest(emulator(), 300);
    const body = JSON.stringify([wireEvent()]);
    const slow = post(emulator(), body, { idempotencyKey: 'busy' });
    await claimed;

    const concurrent = await post(emulator(), body, { idempotencyKey: 'busy' });
    expect(concurrent.status).toBe(409);
    expect(await problemOf(concurrent)).toMatchObject({ code: 'idempotency_in_progress' });
    const retryAfter = Number(concurrent.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(0.3);

    release();
    expect((await slow).status).toBe(204);
    const later = await post(emulator(), body, { idempotencyKey: 'busy' });
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(emulator().events).toHaveLength(1);
    expect(emulator().stats()).toMatchObject({
      idempotencyInProgress: 1,
      replays: 1,
      clientErrors: { idempotency_in_progress: 1 },
    });
  });

  it('409s a different body under a running key as a mismatch, not in progress', async () => {
    const { claimed, release } = slowFirstRequest(emulator(), 200);
    const slow = post(emulator(), [wireEvent()], { idempotencyKey: 'busy' });
    await claimed;
    const other = await post(emulator(), [wireEvent({ name: 'other' })], { idempotencyKey: 'busy' });
    expect((await problemOf(other)).code).toBe('idempotency_key_mismatch');
    release();
    expect((await slow).status).toBe(204);
  });

  it('uses the configured inProgressRetryAfterSeconds', async () => {
    const fixed = await SpotzeeEmulator.start({ inProgressRetryAfterSeconds: 2 });
    try {
      const { claimed, release } = slowFirstRequest(fixed, 200);
      const first = post(fixed, [wireEvent()], { idempotencyKey: 'k' });
      await claimed;
      const concurrent = await post(fixed, [wireEvent()], { idempotencyKey: 'k' });
      expect(concurrent.status).toBe(409);
      expect(concurrent.headers.get('retry-after')).toBe('2');
      release();
      expect((await first).status).toBe(204);
    } finally {
      await fixed.stop();
    }
  });

  it('does not remember 5xx or 429 faults: the retry is processed afresh', async () => {
    const body = [wireEvent()];
    emulator().inject({ kind: 'status', status: 503 });
    emulator().inject({ kind: 'rate_limit', retryAfterSeconds: 0.05 });
    expect((await post(emulator(), body, { idempotencyKey: 'k' })).status).toBe(503);
    expect((await post(emulator(), body, { idempotencyKey: 'k' })).status).toBe(429);
    const retry = await post(emulator(), body, { idempotencyKey: 'k' });
    expect(retry.status).toBe(204);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(emulator().events).toHaveLength(1);
  });

  it('does not remember a reset before processing', async () => {
    emulator().inject({ kind: 'reset' });
    await networkError(post(emulator(), [wireEvent()], { idempotencyKey: 'k' }));
    const retry = await post(emulator(), [wireEvent()], { idempotencyKey: 'k' });
    expect(retry.status).toBe(204);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
  });

  it('does not remember header-level rejections made before the key is claimed', async () => {
    expect(
      (await post(emulator(), [wireEvent()], { idempotencyKey: 'k', headers: { 'content-type': 'text/plain' } }))
        .status,
    ).toBe(415);
    expect((await post(emulator(), [wireEvent()], { idempotencyKey: 'k' })).status).toBe(204);
  });

  it('scopes keys per API key', async () => {
    const body = [wireEvent()];
    await post(emulator(), body, { idempotencyKey: 'shared', key: 'sk_project_a' });
    const otherProject = await post(emulator(), body, { idempotencyKey: 'shared', key: 'sk_project_b' });
    expect(otherProject.status).toBe(204);
    expect(otherProject.headers.get('idempotent-replayed')).toBeNull();
    const mismatchElsewhere = await post(emulator(), [wireEvent({ name: 'other' })], {
      idempotencyKey: 'shared',
      key: 'sk_project_c',
    });
    expect(mismatchElsewhere.status).toBe(204);
    expect(emulator().events).toHaveLength(3);
  });

  it('does not deduplicate requests without a key', async () => {
    const body = [wireEvent()];
    await post(emulator(), body);
    await post(emulator(), body);
    expect(emulator().events).toHaveLength(2);
    expect(emulator().stats().replays).toBe(0);
  });

  it('forgets keys after the TTL', async () => {
    let now = Date.parse('2026-04-28T09:00:00Z');
    const shortLived = await SpotzeeEmulator.start({ idempotencyTtlMs: 60_000, clock: () => now });
    try {
      const body = [wireEvent()];
      await post(shortLived, body, { idempotencyKey: 'k' });
      now += 59_999;
      expect((await post(shortLived, body, { idempotencyKey: 'k' })).headers.get('idempotent-replayed')).toBe('true');
      now += 1;
      const afterTtl = await post(shortLived, body, { idempotencyKey: 'k' });
      expect(afterTtl.status).toBe(204);
      expect(afterTtl.headers.get('idempotent-replayed')).toBeNull();
      expect(shortLived.events).toHaveLength(2);
    } finally {
      await shortLived.stop();
    }
  });

  it('forgets keys on reset()', async () => {
    const body = [wireEvent()];
    await post(emulator(), body, { idempotencyKey: 'k' });
    emulator().reset();
    expect((await post(emulator(), body, { idempotencyKey: 'k' })).headers.get('idempotent-replayed')).toBeNull();
  });

  it('keeps exactly one acceptance per key under 200 concurrent duplicates', async () => {
    const busy = await SpotzeeEmulator.start({ processingDelayMs: 5 });
    try {
      const body = JSON.stringify([wireEvent()]);
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => post(busy, body, { idempotencyKey: 'storm' })),
      );
      const outcomes = responses.map((response) =>
        response.status === 204
          ? response.headers.get('idempotent-replayed') === 'true'
            ? 'replay'
            : 'accepted'
          : String(response.status),
      );
      expect(outcomes.filter((outcome) => outcome === 'accepted')).toHaveLength(1);
      expect(outcomes.every((outcome) => ['accepted', 'replay', '409'].includes(outcome))).toBe(true);
      expect(busy.events).toHaveLength(1);
      const stats = busy.stats();
      expect(stats.replays + stats.idempotencyInProgress + 1).toBe(200);
      expect(stats.idempotencyMismatches).toBe(0);
    } finally {
      await busy.stop();
    }
  });
});

/**
 * Holds the next request in flight until `release()` (its `delayMs` is only the Retry-After hint), and
 * `claimed` resolves once it has claimed its idempotency key: the fault matcher runs right after the body
 * arrived, and the claim follows synchronously. An explicit gate, so a loaded machine cannot close the
 * window before the test's concurrent request arrives.
 */
function slowFirstRequest(emulator: SpotzeeEmulator, delayMs: number): { claimed: Promise<void>; release: () => void } {
  let release!: () => void;
  const until = new Promise<void>((resolve) => (release = resolve));
  const claimed = new Promise<void>((resolve) => {
    emulator.inject({ kind: 'slow', delayMs, until }, { match: () => (resolve(), true) });
  });
  return { claimed, release };
}
