import { afterAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { EMULATOR_API_KEY, SpotzeeEmulator, type FaultKind, type WeightedFault } from '../../lib/emulator/index.js';
import { SpotzeeTracker, type DroppedOutcome, type RejectedOutcome } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp } from '../support/loopback-app.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { responseProbe } from '../support/response-probe.module.js';
import { EVENTS_PER_ORDER, ITEMS_PER_ORDER } from './fixtures/chaos-orders.controller.js';
import { ChaosShopModule } from './fixtures/chaos-shop.module.js';
import { runConcurrently } from './support/concurrent-load.js';

const ORDERS = 1_100;
/** Every 11th order fails after tracking its items: 1,000 orders succeed, 20,000 events. */
const FAILING_EVERY = 11;
const CONCURRENCY = 200;
/** Tracked outside any request, like a job or a queue consumer would, while the load runs. */
const BACKGROUND_EVENTS = 500;
const REQUEST_TIMEOUT_MS = 500;
/**
 * Far past the timeout, however coarse the timer that enforces it (undici's own header and body timers
 * tick at a one-second resolution), so the client has always given up before the answer comes.
 */
const SLOW_RESPONSE_MS = 2_500;

/** Every failure a real network and a real Spotzee produce, each on its own and in any order. */
const FAULTS: WeightedFault[] = [
  { fault: { kind: 'status', status: 500 }, weight: 1 },
  { fault: { kind: 'status', status: 503 }, weight: 1 },
  { fault: { kind: 'rate_limit', retryAfterSeconds: 0.02 }, weight: 1 },
  { fault: { kind: 'reset' }, weight: 1 },
  { fault: { kind: 'lost_response' }, weight: 1 },
  // Slower than the client's timeout: the batch is accepted after the client gave up on it, and the
  // retry meets `409 idempotency_in_progress`, then a replay. Rarer, because each one stalls sending.
  { fault: { kind: 'slow', delayMs: SLOW_RESPONSE_MS }, weight: 0.25 },
];

interface OrderResult {
  n: number;
  status: number;
  body: unknown;
}

function isFailing(n: number): boolean {
  return n % FAILING_EVERY === FAILING_EVERY - 1;
}

/** Contacts differ per order: signed-in users, anonymous visitors, and both at once (stitching). */
function contactHeaders(n: number): Record<string, string> {
  if (n % 5 === 0) return { 'x-user-id': `user_${n}`, 'x-anonymous-id': `visitor_${n}` };
  return n % 2 === 0 ? { 'x-user-id': `user_${n}` } : { 'x-anonymous-id': `visitor_${n}` };
}

function expectedContact(n: number): { external_id?: string; anonymous_id?: string } {
  const headers = contactHeaders(n);
  return {
    ...(headers['x-user-id'] ? { external_id: headers['x-user-id'] } : {}),
    ...(headers['x-anonymous-id'] ? { anonymous_id: headers['x-anonymous-id'] } : {}),
  };
}

function orderEventUids(n: number): string[] {
  const uid = `o${n}`;
  return [
    `${uid}/placed`,
    `${uid}/confirmed`,
    ...Array.from({ length: ITEMS_PER_ORDER }, (_, item) => `${uid}/item/${item}`),
  ];
}

describe('chaos: a Nest app under load while Spotzee fails in every way it can', () => {
  let emulator: SpotzeeEmulator | undefined;
  let app: INestApplication | undefined;

  afterAll(async () => {
    await app?.close();
    await emulator?.stop();
  });

  it('delivers every committed event exactly once, and its counters add up', async () => {
    // A short Retry-After on `idempotency_in_progress`: the client keeps asking (without spending
    // attempts) instead of stalling every batch for the rest of the slow answer.
    emulator = await SpotzeeEmulator.start({ inProgressRetryAfterSeconds: 0.05 });
    // Seeded: the n-th request to arrive always gets the same fault (or none). With this seed every
    // kind comes up within the first 40 requests, and a run makes well over 200.
    emulator.chaos({ rate: 0.3, seed: 20260428, faults: FAULTS });
    const logger = new RecordingLogger();
    const running = await startApp({
      imports: [
        ChaosShopModule.register({
          apiKey: EMULATOR_API_KEY,
          baseUrl: emulator.baseUrl,
          logger,
          flushIntervalMs: 20,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
          retryBaseMs: 5,
          retryMaxMs: 50,
          // The budget is not what is under test: no batch may run out of attempts.
          maxAttempts: 100,
          rateLimitMaxMs: 100,
          rateLimitJitterMs: 10,
        }),
      ],
    });
    app = running.app;
    const tracker = app.get(SpotzeeTracker);
    const rejected: RejectedOutcome[] = [];
    const dropped: DroppedOutcome[] = [];
    tracker.on('rejected', (outcome) => rejected.push(outcome));
    tracker.on('dropped', (outcome) => dropped.push(outcome));

    const background = (async () => {
      for (let i = 0; i < BACKGROUND_EVENTS; i++) {
        tracker.track('stock_synced', { externalId: `warehouse_${i % 7}`, data: { uid: `bg/${i}` } });
        if (i % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const results = await runConcurrently<OrderResult>(ORDERS, CONCURRENCY, async (n) => {
      const response = await fetch(`${running.url}/chaos/orders/o${n}${isFailing(n) ? '?fail=1' : ''}`, {
        method: 'POST',
        headers: contactHeaders(n),
      });
      return { n, status: response.status, body: await response.json() };
    });
    await background;

    // The user's requests were never affected by Spotzee's failures.
    for (const { n, status, body } of results) {
      if (isFailing(n)) {
        expect({ n, status }).toEqual({ n, status: 409 });
      } else {
        expect({ n, status, body }).toEqual({ n, status: 201, body: { uid: `o${n}`, total: `o${n}`.length * 10 } });
      }
    }

    await eventually(() => responseProbe.allClosed(), 'every response closed server-side');
    await tracker.flush();
    const afterFlush = tracker.stats();
    await app.close();
    app = undefined;

    const expected = new Set<string>();
    for (const { n } of results) if (!isFailing(n)) for (const uid of orderEventUids(n)) expected.add(uid);
    for (let i = 0; i < BACKGROUND_EVENTS; i++) expected.add(`bg/${i}`);
    const succeeded = results.filter(({ n }) => !isFailing(n)).length;
    expect(expected.size).toBe(succeeded * EVENTS_PER_ORDER + BACKGROUND_EVENTS);
    expect(expected.size).toBeGreaterThanOrEqual(20_000);

    // Exactly once on Spotzee's side, compared by the unique id each event carries.
    const seen = new Map<string, number>();
    for (const { event } of emulator.events) {
      const uid = String((event.data as { uid?: unknown } | null | undefined)?.uid);
      seen.set(uid, (seen.get(uid) ?? 0) + 1);
    }
    const duplicated = [...seen].filter(([, count]) => count > 1).map(([uid]) => uid);
    const unexpected = [...seen.keys()].filter((uid) => !expected.has(uid));
    const missing = [...expected].filter((uid) => !seen.has(uid));
    expect({
      duplicated: duplicated.slice(0, 10),
      unexpected: unexpected.slice(0, 10),
      missing: missing.slice(0, 10),
    }).toEqual({
      duplicated: [],
      unexpected: [],
      missing: [],
    });
    expect(emulator.events).toHaveLength(expected.size);

    // Each event kept the contact of the request it was captured in, whatever the retries did.
    const misattributed = emulator.events.filter(({ event }) => {
      const uid = String((event.data as { uid: string }).uid);
      if (uid.startsWith('bg/')) return event.external_id !== `warehouse_${Number(uid.slice(3)) % 7}`;
      const n = Number(/^o(\d+)\//.exec(uid)![1]);
      const contact = expectedContact(n);
      return event.external_id !== contact.external_id || event.anonymous_id !== contact.anonymous_id;
    });
    expect(misattributed.slice(0, 5)).toEqual([]);

    // Every fault really happened, and no retry ever changed a frozen batch.
    const server = emulator.stats();
    for (const kind of ['status', 'rate_limit', 'reset', 'lost_response', 'slow'] satisfies FaultKind[]) {
      expect({ kind, applied: server.faults[kind] > 0 }).toEqual({ kind, applied: true });
    }
    expect(server.idempotencyMismatches).toBe(0);
    expect(server.clientErrors['idempotency_key_mismatch'] ?? 0).toBe(0);
    expect(emulator.requests.filter((request) => request.code === 'idempotency_key_mismatch')).toEqual([]);
    expect(server.replays).toBeGreaterThan(0);
    expect(server.idempotencyInProgress).toBeGreaterThan(0);

    // The counters add up, and nothing is left or lost.
    const stats = tracker.stats();
    expect(stats).toEqual(afterFlush);
    expect(stats.captured).toBe(stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending);
    expect({ pending: stats.pending, rejected: stats.rejected, dropped: stats.dropped }).toEqual({
      pending: 0,
      rejected: 0,
      dropped: 0,
    });
    expect(stats.delivered).toBe(expected.size);
    expect(stats.captured).toBe(expected.size);
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(rejected).toEqual([]);
    expect(dropped).toEqual([]);
    expect(tracker.health()).toMatchObject({ healthy: true, halted: false, queueDepth: 0 });
    expect(
      logger.messages('error').filter((line) => /engine error|idempotency_key_mismatch|giving up/.test(line)),
    ).toEqual([]);
  }, 120_000);
});
