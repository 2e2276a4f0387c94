import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { buildLibraryPrivately } from '../../proof/support/private-library-build.js';
import { postOnce } from '../../support/one-shot-post.js';
import { TestRedisServer, describeWithRedis } from '../../support/redis-server.js';
import { suiteEmulator } from '../../support/suite-emulator.js';
import {
  arrivals,
  duplicates,
  missing,
  OrderLoad,
  settled,
  StoreAppProcess,
  waitFor,
} from './support/store-app-process.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const OPTIONS = { flushIntervalMs: 20, maxBatchEvents: 25, retryBaseMs: 50, retryMaxMs: 200, rateLimitMaxMs: 200 };
/** Short, so the test sees an adoption soon after the kill; far above any stall of these small apps. */
const LEASE_MS = 1500;

describeWithRedis('RedisEventStore: three replicas on one Redis, one SIGKILLed mid-batch', () => {
  const emulator = suiteEmulator();
  let libraryDir: string;
  let redis: TestRedisServer;
  const apps: StoreAppProcess[] = [];

  beforeAll(async () => {
    libraryDir = await buildLibraryPrivately(REPO_ROOT);
    redis = await TestRedisServer.start();
  }, 120_000);

  afterAll(async () => {
    await redis?.stop();
  });

  afterEach(() => {
    for (const app of apps.splice(0)) app.child.kill();
  });

  it('delivers every event exactly once, the killed replica’s claimed batch adopted and resent under its key', async () => {
    const [a, b, c] = await Promise.all(
      ['A', 'B', 'C'].map((run) =>
        StoreAppProcess.start(
          libraryDir,
          emulator(),
          { RUN: run, STORE: 'redis', REDIS_URL: redis.url, REDIS_PREFIX: 'replicas', LEASE_MS: String(LEASE_MS) },
          OPTIONS,
        ),
      ),
    );
    apps.push(a!, b!, c!);
    const replicas = [a!, b!, c!];

    // C's first attempts are held open by Spotzee: its batches are claimed and in flight when it dies.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const heldKeys = new Set<string>();
    emulator().inject(
      { kind: 'slow', delayMs: 0, until: held },
      {
        times: Infinity,
        match: (request) => {
          if (request.attempt !== 1 || !request.body.includes('"external_id":"C-')) return false;
          heldKeys.add(request.idempotencyKey!);
          return true;
        },
      },
    );

    for (const replica of replicas) await replica.post('/load/start?perTick=1&everyMs=2');
    const orders = replicas.map((replica, i) => new OrderLoad(replica, 2, 'ABC'[i]!));
    // The same order (same explicit key) captured on two replicas, for every pair of them.
    const pairs: string[] = [];
    for (let i = 0; i < 30; i++) {
      const uid = `pair-${i}`;
      pairs.push(uid);
      const [x, y] = [replicas[i % 3]!, replicas[(i + 1) % 3]!];
      const path = `/orders/${uid}?key=order_placed:${uid}`;
      const answers = await Promise.all([postOnce(`${x.url}${path}`), postOnce(`${y.url}${path}`)]);
      expect(answers.map((answer) => answer.status)).toEqual([201, 201]);
    }
    await waitFor(() => heldKeys.size >= 1 && emulator().events.length >= 300, 'C holds a batch in flight', 30_000);

    await c!.kill();
    await orders[2]!.done;
    release();
    const capturedByC = c!.captured;

    // A survivor adopts C's queued events and frozen batches once C's lease has expired.
    await waitFor(
      () =>
        [a!, b!].some((replica) => /took over \d+ queued events and [1-9]\d* frozen batches/.test(replica.child.log)),
      'a survivor adopted the killed replica’s batches',
      30_000,
    );
    await Promise.all([a!, b!].map((replica) => replica.post('/load/stop')));
    await Promise.all([orders[0]!.stop(), orders[1]!.stop()]);
    const reports = await Promise.all([a!, b!].map((replica) => settled(replica)));
    const captured = new Set([...a!.captured, ...b!.captured, ...capturedByC]);
    await waitFor(() => missing(emulator(), captured).length === 0, 'every captured event delivered', 30_000);

    expect(duplicates(emulator())).toEqual([]);
    for (const pair of pairs) expect(arrivals(emulator()).get(pair)).toBe(1);
    // Only C can have captured an event it had no time to report.
    const unreported = [...arrivals(emulator()).keys()].filter((uid) => !captured.has(uid));
    expect(unreported.every((uid) => uid.startsWith('C-'))).toBe(true);
    // C's claimed batch was resent by a survivor under its frozen key, and Spotzee replayed it.
    const resent = emulator().requests.filter((request) => heldKeys.has(request.idempotencyKey!) && request.replayed);
    expect(resent.length).toBeGreaterThanOrEqual(1);
    expect(emulator().stats().idempotencyMismatches).toBe(0);
    for (const { stats } of reports) {
      expect(stats.captured).toBe(
        stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending,
      );
      expect(stats).toMatchObject({
        rejected: 0,
        dropped: 0,
        pending: 0,
        store: { name: 'redis', up: true, depth: 0 },
      });
    }
    // The second capture of an explicit key, on another replica, ends deduplicated (never a drop).
    expect(reports.reduce((sum, { stats }) => sum + stats.deduplicated, 0)).toBeGreaterThan(0);
    await Promise.all([a!, b!].map((replica) => replica.terminate()));
  }, 120_000);
});
