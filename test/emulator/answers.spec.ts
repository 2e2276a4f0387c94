import { describe, expect, it } from '@jest/globals';
import { suiteEmulator } from '../support/suite-emulator.js';
import { post, problemOf, wireEvent } from './emulator-client.js';

/** Answers Spotzee's docs allow but the default emulator does not give: for clients' own tests. */
describe('SpotzeeEmulator: answers beyond the reference', () => {
  describe('Retry-After variants', () => {
    const emulator = suiteEmulator();

    it('sends a rate_limit Retry-After exactly as given, once per value for several', async () => {
      emulator().inject({ kind: 'rate_limit', retryAfter: '0' });
      emulator().inject({ kind: 'rate_limit', retryAfter: 'Tue, 01 Jan 2019 00:00:00 GMT' });
      emulator().inject({ kind: 'rate_limit', retryAfter: ['0', '5'] });
      expect((await post(emulator(), [wireEvent()])).headers.get('retry-after')).toBe('0');
      expect((await post(emulator(), [wireEvent()])).headers.get('retry-after')).toBe('Tue, 01 Jan 2019 00:00:00 GMT');
      expect((await post(emulator(), [wireEvent()])).headers.get('retry-after')).toBe('0, 5');
    });

    it('gives a status fault a Retry-After when asked', async () => {
      emulator().inject({ kind: 'status', status: 503, retryAfter: 3600 });
      const response = await post(emulator(), [wireEvent()]);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('3600');
    });

    it('refuses a Retry-After that would break the header', () => {
      expect(() => emulator().inject({ kind: 'rate_limit', retryAfter: '1\r\nx: y' })).toThrow(
        "SpotzeeEmulator: 'retryAfter' must be a number or a string without CR, LF or NUL",
      );
      expect(() => emulator().inject({ kind: 'status', status: 503, remember: true })).toThrow(
        "SpotzeeEmulator: 'remember' applies to 4xx 'status' faults only (got status 503)",
      );
    });
  });

  describe('4xx remembered per Idempotency-Key', () => {
    const emulator = suiteEmulator();

    it('replays a remembered refusal for its key, even after the fault is used up; other keys go through', async () => {
      emulator().inject({ kind: 'status', status: 402, remember: true });
      const body = [wireEvent()];
      const first = await post(emulator(), body, { idempotencyKey: 'batch-1' });
      expect(first.status).toBe(402);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const again = await post(emulator(), body, { idempotencyKey: 'batch-1' });
      expect(again.status).toBe(402);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect((await problemOf(again)).code).toBe('payment_required');
      expect((await post(emulator(), body, { idempotencyKey: 'batch-2' })).status).toBe(204);
      expect(emulator().events).toHaveLength(1);
    });

    it('does not remember without `remember`', async () => {
      emulator().inject({ kind: 'status', status: 402 });
      expect((await post(emulator(), [wireEvent()], { idempotencyKey: 'k' })).status).toBe(402);
      expect((await post(emulator(), [wireEvent()], { idempotencyKey: 'k' })).status).toBe(204);
    });
  });

  describe('invalidItems', () => {
    const invalid = () => [wireEvent({ data: { n: 0 } }), wireEvent({ name: '' }), wireEvent({ data: { n: 2 } })];

    describe('reject-batch (default)', () => {
      const emulator = suiteEmulator();
      it('answers 422 naming the item and commits nothing', async () => {
        const response = await post(emulator(), invalid());
        expect(response.status).toBe(422);
        expect((await problemOf(response)).errors).toEqual([expect.objectContaining({ param: '1.name' })]);
        expect(emulator().events).toHaveLength(0);
      });
    });

    describe('commit-valid-422', () => {
      const emulator = suiteEmulator({ invalidItems: 'commit-valid-422' });
      it('answers the same 422 but commits the valid items', async () => {
        const response = await post(emulator(), invalid());
        expect(response.status).toBe(422);
        expect((await problemOf(response)).errors).toEqual([expect.objectContaining({ param: '1.name' })]);
        expect(emulator().events.map((e) => e.event.data)).toEqual([{ n: 0 }, { n: 2 }]);
      });
    });

    describe('commit-valid-200', () => {
      const emulator = suiteEmulator({ invalidItems: 'commit-valid-200' });
      it('answers 200 with per-item results and commits the valid items; a retry gets the same answer replayed', async () => {
        const response = await post(emulator(), invalid(), { idempotencyKey: 'k' });
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/json');
        expect(await response.json()).toEqual({
          results: [
            { index: 0 },
            { index: 1, error: { code: expect.any(String), message: expect.stringMatching(/^name: /), param: 'name' } },
            { index: 2 },
          ],
          succeeded: 2,
          failed: 1,
        });
        expect(emulator().events.map((e) => e.event.data)).toEqual([{ n: 0 }, { n: 2 }]);
        const replay = await post(emulator(), invalid(), { idempotencyKey: 'k' });
        expect(replay.status).toBe(200);
        expect(replay.headers.get('idempotent-replayed')).toBe('true');
        expect(emulator().events).toHaveLength(2);
      });
    });

    it('refuses an unknown mode', async () => {
      const { SpotzeeEmulator } = await import('../../lib/emulator/index.js');
      await expect(SpotzeeEmulator.start({ invalidItems: 'maybe' as never })).rejects.toThrow(
        'SpotzeeEmulator: invalidItems must be one of reject-batch, commit-valid-422, commit-valid-200 (got maybe).',
      );
    });
  });
});
