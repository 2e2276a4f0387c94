import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { SpotzeeEmulator, type ReceivedBatch } from 'nestjs-spotzee/emulator';
import { networkError, post, problemOf, wireEvent } from './emulator-client.js';

describe('SpotzeeEmulator: lifecycle, waits and load', () => {
  const started: SpotzeeEmulator[] = [];
  async function start(options?: Parameters<typeof SpotzeeEmulator.start>[0]): Promise<SpotzeeEmulator> {
    const emulator = await SpotzeeEmulator.start(options);
    started.push(emulator);
    return emulator;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.stop()));
  });

  describe('down() and up()', () => {
    it('refuses connections while down and serves again on the same port', async () => {
      const emulator = await start();
      const port = emulator.port;
      // No request before the outage: a pooled connection would fail differently from a refused one.
      await emulator.down();
      expect(emulator.isUp).toBe(false);
      const refused = await networkError(post(emulator, [wireEvent()]));
      expect(refused.cause?.code).toBe('ECONNREFUSED');

      await emulator.up();
      expect(emulator.isUp).toBe(true);
      expect(emulator.port).toBe(port);
      expect((await post(emulator, [wireEvent()])).status).toBe(204);
      expect(emulator.events).toHaveLength(1);
    });

    it('drops kept-alive connections, so pooled clients notice the outage too', async () => {
      const emulator = await start();
      expect((await post(emulator, [wireEvent()])).status).toBe(204);
      await emulator.down();
      await networkError(post(emulator, [wireEvent()]));
      await emulator.up();
      expect((await post(emulator, [wireEvent()])).status).toBe(204);
    });

    it("in 'reset' mode keeps the port and resets every new connection", async () => {
      const emulator = await start();
      const port = emulator.port;
      await emulator.down({ mode: 'reset' });
      const reset = await networkError(post(emulator, [wireEvent()]));
      expect(reset.message).toBe('fetch failed');
      expect(emulator.stats().requests).toBe(0);
      await emulator.up();
      expect(emulator.port).toBe(port);
      expect((await post(emulator, [wireEvent()])).status).toBe(204);
    });

    it('is idempotent', async () => {
      const emulator = await start();
      await emulator.down();
      await emulator.down();
      await emulator.up();
      await emulator.up();
      expect((await post(emulator, [wireEvent()])).status).toBe(204);
    });
  });

  describe('waits', () => {
    it('waitForEvents resolves with the events once enough arrived', async () => {
      const emulator = await start();
      const waiting = emulator.waitForEvents(3);
      await post(emulator, [wireEvent(), wireEvent()]);
      await post(emulator, [wireEvent({ name: 'third' })]);
      const events = await waiting;
      expect(events.map((received) => received.event.name)).toEqual(['order_placed', 'order_placed', 'third']);
      expect(await emulator.waitForEvents(1)).toHaveLength(3);
    });

    it('waitForEvents rejects on timeout with a message that says what arrived', async () => {
      const emulator = await start();
      emulator.inject({ kind: 'status', status: 503 });
      await post(emulator, [wireEvent()]);
      await post(emulator, [wireEvent()]);
      await expect(emulator.waitForEvents(5, { timeoutMs: 50 })).rejects.toThrow(
        'SpotzeeEmulator: timed out after 50 ms waiting for at least 5 accepted events. So far: 1 events accepted in 1 batches; 2 requests answered (204×1, 503×1); 0 in flight; emulator is up.',
      );
    });

    it('waitForRequests and waitUntil resolve on their conditions', async () => {
      const emulator = await start();
      const requests = emulator.waitForRequests(2);
      const condition = emulator.waitUntil((em) => em.stats().clientErrors['validation_failed'] === 1, {
        description: 'a 422',
      });
      await post(emulator, [wireEvent()]);
      await post(emulator, [wireEvent({ name: '' })]);
      expect((await requests).map((record) => record.status)).toEqual([204, 422]);
      await condition;
      await expect(emulator.waitUntil(() => false, { timeoutMs: 20, description: 'never' })).rejects.toThrow(
        'waiting for never',
      );
    });

    it('stop() rejects pending waits', async () => {
      const emulator = await start();
      const waiting = emulator.waitForEvents(1, { timeoutMs: 60_000 });
      await emulator.stop();
      await expect(waiting).rejects.toThrow('stopped');
      await expect(emulator.waitForEvents(1)).rejects.toThrow('stopped');
    });
  });

  describe('reset() and stop()', () => {
    it('reset() clears events, batches, requests, counters and faults', async () => {
      const emulator = await start();
      emulator.inject({ kind: 'status' }, { times: 5 });
      await post(emulator, [wireEvent()]);
      emulator.chaos({ rate: 1 });
      emulator.reset();
      expect(emulator.events).toEqual([]);
      expect(emulator.batches).toEqual([]);
      expect(emulator.requests).toEqual([]);
      expect(emulator.pendingFaults).toBe(0);
      expect(emulator.stats()).toMatchObject({ requests: 0, acceptedEvents: 0, faults: { status: 0 } });
      expect((await post(emulator, [wireEvent()])).status).toBe(204);
      expect(emulator.requests[0]!.seq).toBe(1);
    });

    it('reset() drops a request still running from before, instead of accepting it into the fresh state', async () => {
      const emulator = await start();
      let claimed!: () => void;
      const running = new Promise<void>((resolve) => (claimed = resolve));
      emulator.inject({ kind: 'slow', delayMs: 150 }, { match: () => (claimed(), true) });
      const stale = networkError(post(emulator, [wireEvent()], { idempotencyKey: 'k' }));
      await running;
      emulator.reset();
      await stale;
      expect(emulator.events).toEqual([]);
      expect(emulator.requests).toEqual([]);
      expect(emulator.stats().inFlight).toBe(0);
    });

    it('stop() ends slow requests at once and is idempotent', async () => {
      const emulator = await start();
      emulator.inject({ kind: 'slow', delayMs: 60_000 });
      const pending = networkError(post(emulator, [wireEvent()]));
      await emulator.waitUntil((em) => em.stats().inFlight === 1);
      await emulator.stop();
      await pending;
      await emulator.stop();
      expect(emulator.events).toEqual([]);
    });
  });

  describe('onBatch', () => {
    it('is called once per newly accepted batch, not for replays or rejections', async () => {
      const seen: ReceivedBatch[] = [];
      const emulator = await start({ onBatch: (batch) => seen.push(batch) });
      const body = [wireEvent(), wireEvent({ name: 'b' })];
      await post(emulator, body, { idempotencyKey: 'k' });
      await post(emulator, body, { idempotencyKey: 'k' });
      await post(emulator, [wireEvent({ name: '' })]);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ idempotencyKey: 'k', body: JSON.stringify(body) });
      expect(seen[0]!.events.map((event) => event.name)).toEqual(['order_placed', 'b']);
    });

    it('a throwing listener does not fail the request', async () => {
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const emulator = await start({
          onBatch: () => {
            throw new Error('listener bug');
          },
        });
        expect((await post(emulator, [wireEvent()])).status).toBe(204);
        expect(emulator.events).toHaveLength(1);
        expect(warn).toHaveBeenCalledWith('SpotzeeEmulator: onBatch threw: listener bug');
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('options', () => {
    it('adds processingDelayMs to every request', async () => {
      const emulator = await start({ processingDelayMs: 40 });
      await post(emulator, [wireEvent()]);
      await post(emulator, [wireEvent()], { without: ['authorization'] });
      expect(emulator.requests.every((record) => record.durationMs >= 35)).toBe(true);
    });

    it('enforces a rate limit window when asked, with Retry-After until the reset', async () => {
      let now = 1_000_000;
      const emulator = await start({
        rateLimit: { limit: 2, windowSeconds: 10, tier: 'starter', enforce: true },
        clock: () => now,
      });
      const first = await post(emulator, [wireEvent()]);
      expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
      expect(first.headers.get('x-ratelimit-tier')).toBe('starter');
      expect((await post(emulator, [wireEvent()])).headers.get('x-ratelimit-remaining')).toBe('0');
      now += 4_000;
      const limited = await post(emulator, [wireEvent()]);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('6');
      expect((await problemOf(limited)).code).toBe('rate_limited');
      now += 6_000;
      expect((await post(emulator, [wireEvent()])).status).toBe(204);
    });

    it('retainEvents: false counts without keeping events; maxRecordedRequests caps records', async () => {
      const emulator = await start({ retainEvents: false, maxRecordedRequests: 10 });
      for (let i = 0; i < 25; i++) await post(emulator, [wireEvent(), wireEvent()]);
      expect(emulator.events).toEqual([]);
      expect(emulator.batches).toEqual([]);
      expect(emulator.requests.length).toBeLessThanOrEqual(11);
      expect(emulator.requests.at(-1)!.seq).toBe(25);
      expect(emulator.stats()).toMatchObject({ requests: 25, acceptedBatches: 25, acceptedEvents: 50 });
      await emulator.waitForEvents(50);
    });

    it('refuses invalid options with a clear message', async () => {
      await expect(SpotzeeEmulator.start({ port: 70000 })).rejects.toThrow(
        'SpotzeeEmulator: port must be an integer 0..65535',
      );
      await expect(SpotzeeEmulator.start({ apiKeys: [] })).rejects.toThrow('apiKeys must hold at least one key');
      await expect(SpotzeeEmulator.start({ processingDelayMs: -1 })).rejects.toThrow('processingDelayMs');
    });
  });

  describe('under load', () => {
    it('accepts 20,000 events from 200 concurrent requests exactly once each', async () => {
      const emulator = await start();
      const requests = Array.from({ length: 200 }, (_, r) =>
        post(
          emulator,
          Array.from({ length: 100 }, (_, i) => wireEvent({ data: { seq: r * 100 + i } })),
          { idempotencyKey: `load_${r}` },
        ),
      );
      const responses = await Promise.all(requests);
      expect(responses.every((response) => response.status === 204)).toBe(true);
      const seqs = emulator.events.map((received) => (received.event.data as { seq: number }).seq);
      expect(new Set(seqs).size).toBe(20_000);
      expect(emulator.stats()).toMatchObject({
        requests: 200,
        acceptedBatches: 200,
        acceptedEvents: 20_000,
        idempotencyMismatches: 0,
        inFlight: 0,
      });
      for (const batch of emulator.batches) {
        const events = emulator.events.slice(batch.index * 100, batch.index * 100 + 100);
        expect(
          events.every((received) => received.batchIndex === batch.index && received.requestId === batch.requestId),
        ).toBe(true);
      }
    });

    it('keeps exactly-once acceptance under mixed chaos with retries', async () => {
      const emulator = await start();
      emulator.chaos({
        rate: 0.3,
        seed: 11,
        faults: [
          { kind: 'status', status: 503 },
          { kind: 'rate_limit', retryAfterSeconds: 0 },
          { kind: 'reset' },
          { kind: 'lost_response' },
          { kind: 'slow', delayMs: 5 },
        ],
      });
      async function deliver(r: number): Promise<void> {
        const body = JSON.stringify(Array.from({ length: 50 }, (_, i) => wireEvent({ data: { seq: r * 50 + i } })));
        for (;;) {
          const response = await post(emulator, body, { idempotencyKey: `chaos_${r}` }).catch(() => null);
          if (response !== null && response.status === 204) return;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }
      await Promise.all(Array.from({ length: 200 }, (_, r) => deliver(r)));
      const stats = emulator.stats();
      expect(stats.acceptedEvents).toBe(10_000);
      expect(new Set(emulator.events.map((received) => (received.event.data as { seq: number }).seq)).size).toBe(
        10_000,
      );
      expect(stats.idempotencyMismatches).toBe(0);
      expect(stats.acceptedBatches).toBe(200);
      expect(stats.faults.lost_response).toBeGreaterThan(0);
      expect(stats.replays).toBeGreaterThan(0);
      expect(stats.inFlight).toBe(0);
    });
  });
});
