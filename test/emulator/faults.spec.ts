import { describe, expect, it } from '@jest/globals';
import { SpotzeeEmulator, type ChaosOptions, type FaultRequest } from 'nestjs-spotzee/emulator';
import { suiteEmulator } from '../support/suite-emulator.js';
import { networkError, post, problemOf, wireEvent } from './emulator-client.js';

describe('SpotzeeEmulator: faults', () => {
  const emulator = suiteEmulator();

  describe('status', () => {
    it('answers 503 service_unavailable by default, stores nothing, and applies once', async () => {
      emulator().inject({ kind: 'status' });
      const failed = await post(emulator(), [wireEvent()], { idempotencyKey: 'k' });
      expect(failed.status).toBe(503);
      const problem = await problemOf(failed);
      expect(problem).toMatchObject({
        status: 'error',
        code: 'service_unavailable',
        request_id: failed.headers.get('x-request-id'),
      });
      expect(emulator().events).toHaveLength(0);
      expect(emulator().requests[0]).toMatchObject({
        status: 503,
        code: 'service_unavailable',
        fault: 'status',
        idempotencyKey: 'k',
      });
      expect((await post(emulator(), [wireEvent()])).status).toBe(204);
      expect(emulator().stats().faults).toEqual({
        status: 1,
        rate_limit: 0,
        reset: 0,
        lost_response: 0,
        slow: 0,
        raw: 0,
      });
    });

    it('maps other statuses to their codes, and takes an explicit code and message', async () => {
      emulator().inject({ kind: 'status', status: 500 });
      emulator().inject({ kind: 'status', status: 402 });
      emulator().inject({ kind: 'status', status: 502, code: 'bad_gateway', message: 'upstream down' });
      expect(await problemOf(await post(emulator(), [wireEvent()]))).toMatchObject({ code: 'internal_error' });
      expect(await problemOf(await post(emulator(), [wireEvent()]))).toMatchObject({ code: 'payment_required' });
      expect(await problemOf(await post(emulator(), [wireEvent()]))).toMatchObject({
        code: 'bad_gateway',
        message: 'upstream down',
      });
      expect(emulator().stats().clientErrors).toEqual({ payment_required: 1 });
    });

    it('applies `times` in order, before later injections', async () => {
      emulator().inject({ kind: 'status', status: 500 }, { times: 2 });
      emulator().inject({ kind: 'status', status: 503 });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(emulator(), [wireEvent()])).status);
      expect(statuses).toEqual([500, 500, 503, 204]);
    });
  });

  describe('rate_limit', () => {
    it('answers 429 rate_limited with a fractional Retry-After', async () => {
      emulator().inject({ kind: 'rate_limit', retryAfterSeconds: 0.05 });
      const response = await post(emulator(), [wireEvent()]);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('0.05');
      expect((await problemOf(response)).code).toBe('rate_limited');
      expect(emulator().stats().clientErrors).toEqual({ rate_limited: 1 });
    });

    it('defaults Retry-After to 1 s and can omit it', async () => {
      emulator().inject({ kind: 'rate_limit' });
      emulator().inject({ kind: 'rate_limit', retryAfterSeconds: null });
      expect((await post(emulator(), [wireEvent()])).headers.get('retry-after')).toBe('1');
      const without = await post(emulator(), [wireEvent()]);
      expect(without.status).toBe(429);
      expect(without.headers.get('retry-after')).toBeNull();
    });
  });

  describe('reset', () => {
    it('resets the connection before processing: the client gets a network error and nothing is stored', async () => {
      emulator().inject({ kind: 'reset' });
      const error = await networkError(post(emulator(), [wireEvent()], { idempotencyKey: 'k' }));
      expect(error.message).toBe('fetch failed');
      expect(emulator().events).toHaveLength(0);
      expect(emulator().requests[0]).toMatchObject({
        status: null,
        fault: 'reset',
        acceptedEvents: 0,
        idempotencyKey: 'k',
      });
      expect(emulator().stats().statuses).toEqual({ none: 1 });
      expect((await post(emulator(), [wireEvent()])).status).toBe(204);
    });
  });

  describe('lost_response', () => {
    it('accepts the batch, then resets; the retry is replayed and adds nothing', async () => {
      emulator().inject({ kind: 'lost_response' });
      const body = JSON.stringify([wireEvent(), wireEvent({ name: 'second' })]);
      await networkError(post(emulator(), body, { idempotencyKey: 'batch_7' }));
      expect(emulator().events).toHaveLength(2);
      expect(emulator().requests[0]).toMatchObject({ status: null, fault: 'lost_response', acceptedEvents: 2 });

      const retry = await post(emulator(), body, { idempotencyKey: 'batch_7' });
      expect(retry.status).toBe(204);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(emulator().events).toHaveLength(2);
      expect(emulator().stats()).toMatchObject({
        acceptedBatches: 1,
        acceptedEvents: 2,
        replays: 1,
        faults: { lost_response: 1 },
      });
    });

    it('loses a rejection the same way: the retry replays the 422', async () => {
      emulator().inject({ kind: 'lost_response' });
      await networkError(post(emulator(), [wireEvent({ name: '' })], { idempotencyKey: 'bad' }));
      expect(emulator().requests[0]).toMatchObject({ status: null, fault: 'lost_response', acceptedEvents: 0 });
      const retry = await post(emulator(), [wireEvent({ name: '' })], { idempotencyKey: 'bad' });
      expect(retry.status).toBe(422);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    });
  });

  describe('slow', () => {
    it('answers normally after the delay', async () => {
      emulator().inject({ kind: 'slow', delayMs: 50 });
      const response = await post(emulator(), [wireEvent()]);
      expect(response.status).toBe(204);
      expect(emulator().requests[0]).toMatchObject({ status: 204, fault: 'slow', acceptedEvents: 1, aborted: false });
      expect(emulator().requests[0]!.durationMs).toBeGreaterThanOrEqual(45);
    });

    it('still accepts the batch when the client gave up, so the retry is replayed', async () => {
      emulator().inject({ kind: 'slow', delayMs: 600 });
      const body = JSON.stringify([wireEvent()]);
      const gaveUp = await networkError(
        post(emulator(), body, { idempotencyKey: 'k', signal: AbortSignal.timeout(50) }),
      );
      expect(gaveUp.name).toBe('TimeoutError');
      expect(emulator().events).toHaveLength(0);

      await emulator().waitForRequests(1);
      expect(emulator().events).toHaveLength(1);
      expect(emulator().requests[0]).toMatchObject({ status: 204, fault: 'slow', aborted: true, acceptedEvents: 1 });
      const retry = await post(emulator(), body, { idempotencyKey: 'k' });
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(emulator().events).toHaveLength(1);
    });
  });

  describe('raw', () => {
    it('sends exactly the given status, headers and body, and accepts nothing', async () => {
      emulator().inject({
        kind: 'raw',
        status: 500,
        headers: { 'Content-Type': 'application/json' },
        body: '{"status":"error",',
      });
      const response = await post(emulator(), [wireEvent()]);
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('x-request-id')).toMatch(/^req_/);
      expect(await response.text()).toBe('{"status":"error",');
      expect(emulator().events).toHaveLength(0);
      expect(emulator().requests[0]).toMatchObject({ status: 500, fault: 'raw' });
    });

    it('JSON-encodes object bodies and lets headers override the request id', async () => {
      emulator().inject({
        kind: 'raw',
        status: 400,
        headers: { 'X-Request-Id': 'req_fixed' },
        body: { status: 'error', code: 'brand_new_code' },
      });
      const response = await post(emulator(), [wireEvent()]);
      expect(response.headers.get('x-request-id')).toBe('req_fixed');
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({ status: 'error', code: 'brand_new_code' });
    });

    it('sends huge bodies', async () => {
      const huge = 'x'.repeat(2 * 1024 * 1024);
      emulator().inject({ kind: 'raw', status: 503, body: huge });
      const response = await post(emulator(), [wireEvent()]);
      expect((await response.text()).length).toBe(huge.length);
    });

    it('with accept: true, stores the batch and remembers the real outcome, but answers the raw response', async () => {
      emulator().inject({ kind: 'raw', status: 200, accept: true, body: { accepted: 1, errors: [] } });
      const body = [wireEvent()];
      const response = await post(emulator(), body, { idempotencyKey: 'k' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ accepted: 1, errors: [] });
      expect(emulator().events).toHaveLength(1);
      expect(emulator().requests[0]).toMatchObject({ status: 200, fault: 'raw', acceptedEvents: 1 });
      const retry = await post(emulator(), body, { idempotencyKey: 'k' });
      expect(retry.status).toBe(204);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    });
  });

  describe('targeting', () => {
    it('applies a fault only to matching requests, which see redacted headers and the attempt number', async () => {
      const seen: FaultRequest[] = [];
      emulator().inject(
        { kind: 'status', status: 503 },
        {
          times: Infinity,
          match: (request) => {
            seen.push(request);
            return request.attempt === 1;
          },
        },
      );
      const body = [wireEvent()];
      expect((await post(emulator(), body, { idempotencyKey: 'a' })).status).toBe(503);
      expect((await post(emulator(), body, { idempotencyKey: 'a' })).status).toBe(204);
      expect((await post(emulator(), body, { idempotencyKey: 'b' })).status).toBe(503);
      expect((await post(emulator(), body)).status).toBe(204);
      expect(seen.map((request) => request.attempt)).toEqual([1, 2, 1, 0]);
      expect(seen[0]).toMatchObject({
        seq: 1,
        method: 'POST',
        path: '/api/client/events',
        idempotencyKey: 'a',
        body: JSON.stringify(body),
      });
      expect(seen[0]!.headers['authorization']).toBe('Bearer sk_…');
    });

    it('targets a batch by its content', async () => {
      emulator().inject(
        { kind: 'status', status: 500 },
        { times: Infinity, match: (request) => request.body.includes('"poison"') },
      );
      expect((await post(emulator(), [wireEvent({ name: 'poison' })])).status).toBe(500);
      expect((await post(emulator(), [wireEvent()])).status).toBe(204);
      expect((await post(emulator(), [wireEvent({ name: 'poison' })])).status).toBe(500);
    });

    it('exposes hits and remaining, and can be cancelled', async () => {
      const handle = emulator().inject({ kind: 'status' }, { times: 3 });
      expect(emulator().pendingFaults).toBe(3);
      await post(emulator(), [wireEvent()]);
      expect(handle).toMatchObject({ hits: 1, remaining: 2 });
      handle.cancel();
      expect(emulator().pendingFaults).toBe(0);
      expect((await post(emulator(), [wireEvent()])).status).toBe(204);
    });

    it('clearFaults() withdraws injected faults and chaos', async () => {
      emulator().inject({ kind: 'status' }, { times: Infinity });
      emulator().chaos({ rate: 1, faults: [{ kind: 'reset' }] });
      emulator().clearFaults();
      expect((await post(emulator(), [wireEvent()])).status).toBe(204);
    });

    it('refuses malformed faults with a clear message', () => {
      expect(() => emulator().inject({ kind: 'status', status: 5003 })).toThrow(/between 400 and 599/);
      expect(() => emulator().inject({ kind: 'slow' } as never)).toThrow(/'delayMs'/);
      expect(() => emulator().inject({ kind: 'explode' } as never)).toThrow(/unknown fault/);
      expect(() => emulator().inject({ kind: 'reset' }, { times: 0 })).toThrow(/'times'/);
      expect(() => emulator().chaos({ rate: 2 })).toThrow(/between 0 and 1/);
      expect(() => emulator().chaos({ rate: 0.5, faults: [{ fault: { kind: 'reset' }, weight: 0 }] })).toThrow(
        /weights/,
      );
    });
  });

  describe('chaos', () => {
    async function faultSequence(options: ChaosOptions, requests: number): Promise<string[]> {
      const chaotic = await SpotzeeEmulator.start();
      try {
        chaotic.chaos(options);
        for (let i = 0; i < requests; i++) {
          await post(chaotic, [wireEvent({ data: { i } })], { idempotencyKey: `k${i}` }).catch(() => undefined);
        }
        return [...chaotic.requests].sort((a, b) => a.seq - b.seq).map((record) => record.fault ?? '-');
      } finally {
        await chaotic.stop();
      }
    }

    it('is deterministic for a seed, different across seeds, and close to its rate', async () => {
      const options: ChaosOptions = {
        rate: 0.3,
        seed: 42,
        faults: [
          { kind: 'status', status: 503 },
          { fault: { kind: 'rate_limit', retryAfterSeconds: 0.05 }, weight: 2 },
          { kind: 'reset' },
          { kind: 'lost_response' },
        ],
      };
      const first = await faultSequence(options, 80);
      const second = await faultSequence(options, 80);
      const otherSeed = await faultSequence({ ...options, seed: 7 }, 80);
      expect(second).toEqual(first);
      expect(otherSeed).not.toEqual(first);
      const faulted = first.filter((fault) => fault !== '-').length;
      expect(faulted).toBeGreaterThan(8);
      expect(faulted).toBeLessThan(45);
      expect(new Set(first)).toEqual(new Set(['-', 'status', 'rate_limit', 'reset', 'lost_response']));
    });

    it('uses a default fault mix, yields to injected faults and stops with chaos(null)', async () => {
      emulator().chaos({ rate: 1, seed: 3 });
      emulator().inject({ kind: 'status', status: 418 });
      const injected = await post(emulator(), [wireEvent()]);
      expect(injected.status).toBe(418);
      const kinds = new Set<string>();
      for (let i = 0; i < 30; i++) {
        await post(emulator(), [wireEvent()], { idempotencyKey: `c${i}` }).catch(() => undefined);
      }
      for (const record of emulator().requests) kinds.add(record.fault ?? '-');
      expect(kinds.has('-')).toBe(false);
      expect([...kinds].every((kind) => ['status', 'rate_limit', 'reset', 'lost_response'].includes(kind))).toBe(true);
      emulator().chaos(null);
      expect((await post(emulator(), [wireEvent()])).status).toBe(204);
    });

    it('leaves unmatched requests alone', async () => {
      emulator().chaos({
        rate: 1,
        faults: [{ kind: 'status', status: 500 }],
        match: (request) => request.idempotencyKey === 'doomed',
      });
      expect((await post(emulator(), [wireEvent()], { idempotencyKey: 'fine' })).status).toBe(204);
      expect((await post(emulator(), [wireEvent()], { idempotencyKey: 'doomed' })).status).toBe(500);
    });
  });
});
