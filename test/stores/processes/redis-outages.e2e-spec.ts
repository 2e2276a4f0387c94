import { afterEach, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  libraryBuiltOnce,
} from './support/store-app-process.js';

const OPTIONS = { flushIntervalMs: 20, maxBatchEvents: 25, retryBaseMs: 50, retryMaxMs: 200 };
const LEASE_MS = 3000;

describeWithRedis('RedisEventStore: Redis itself goes away', () => {
  const emulator = suiteEmulator();
  const libraryDir = libraryBuiltOnce();
  let redis: TestRedisServer | undefined;
  let persistDirectory: string | undefined;
  const apps: StoreAppProcess[] = [];

  afterEach(async () => {
    for (const app of apps.splice(0)) app.child.kill();
    await redis?.stop();
    if (persistDirectory !== undefined) rmSync(persistDirectory, { recursive: true, force: true });
  });

  it('restarted mid-load (SIGKILL, same port, append-only file): two replicas say so, keep capturing, and deliver everything exactly once', async () => {
    persistDirectory = mkdtempSync(join(tmpdir(), 'spotzee-redis-aof-'));
    const server = (redis = await TestRedisServer.start({ persistDirectory }));
    const replicas = await Promise.all(
      ['A', 'B'].map((run) =>
        StoreAppProcess.start(
          libraryDir(),
          emulator(),
          { RUN: run, STORE: 'redis', REDIS_URL: server.url, REDIS_PREFIX: 'restart', LEASE_MS: String(LEASE_MS) },
          OPTIONS,
        ),
      ),
    );
    apps.push(...replicas);
    for (const replica of replicas) await replica.post('/load/start?perTick=1&everyMs=2');
    const orders = replicas.map((replica, i) => new OrderLoad(replica, 2, `${'AB'[i]!}-http`));
    await emulator().waitForEvents(200, { timeoutMs: 30_000 });

    await server.stop();
    const stoppedAt = Date.now();
    const down = /RedisEventStore: Redis is unreachable \([^)]+\)\. Events are held in memory/;
    await waitFor(() => replicas.every((replica) => down.test(replica.child.log)), 'both replicas said so', 30_000);
    const whileDown = await Promise.all(replicas.map((replica) => replica.report()));
    for (const { health } of whileDown) {
      expect(health).toMatchObject({ healthy: false, store: { name: 'redis', up: false } });
    }
    // Capture goes on while Redis is down, and the outage outlasts the 3 s lease (a lower bound, never a
    // window: a slower machine only makes it longer), so Redis comes back with every replica's lease
    // expired. The lease stays above the 2 s by which the client's reconnection backoff can set two
    // replicas' returns apart.
    const capturedAtOutage = replicas.map((replica) => replica.captured.length);
    await waitFor(
      () =>
        Date.now() - stoppedAt > LEASE_MS + 500 &&
        replicas.every((replica, i) => replica.captured.length >= capturedAtOutage[i]! + 200),
      'capture went on through an outage longer than the lease',
      30_000,
    );

    await server.start();
    const back = /RedisEventStore: Redis is reachable again; \d+ writes held in memory were replayed/;
    await waitFor(() => replicas.every((replica) => back.test(replica.child.log)), 'both replicas resumed', 30_000);
    await Promise.all(replicas.map((replica) => replica.post('/load/stop')));
    await Promise.all(orders.map((load) => load.stop()));
    const reports = await Promise.all(replicas.map((replica) => settled(replica)));

    const captured = new Set(replicas.flatMap((replica) => replica.captured));
    await waitFor(() => missing(emulator(), captured).length === 0, 'every captured event delivered', 30_000);
    expect(duplicates(emulator())).toEqual([]);
    expect([...arrivals(emulator()).keys()].filter((uid) => !captured.has(uid))).toEqual([]);
    // Both replicas stayed alive throughout: neither may take the other's work over because Redis lost time.
    for (const replica of replicas) expect(replica.child.log).not.toMatch(/took over|came back without its data/);
    for (const { stats } of reports) {
      expect(stats.captured).toBe(
        stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending,
      );
      expect(stats).toMatchObject({ dropped: 0, rejected: 0, pending: 0, store: { up: true, depth: 0 } });
    }
    expect(reports.reduce((sum, { stats }) => sum + stats.captured, 0)).toBe(captured.size);
    await Promise.all(replicas.map((replica) => replica.terminate()));
  }, 120_000);

  it('restarted without persistence (SIGKILL, same port, back empty): each replica says Redis lost its data and writes back what it holds, so a replica killed afterwards loses nothing', async () => {
    const server = (redis = await TestRedisServer.start());
    const [a, b] = await Promise.all(
      ['A', 'B'].map((run) =>
        StoreAppProcess.start(
          libraryDir(),
          emulator(),
          { RUN: run, STORE: 'redis', REDIS_URL: server.url, REDIS_PREFIX: 'empty', LEASE_MS: String(LEASE_MS) },
          OPTIONS,
        ),
      ),
    );
    const replicas = [a!, b!];
    apps.push(...replicas);
    for (const replica of replicas) await replica.post('/load/start?perTick=1&everyMs=2');
    const orders = replicas.map((replica, i) => new OrderLoad(replica, 2, `${'AB'[i]!}-http`));
    await emulator().waitForEvents(200, { timeoutMs: 30_000 });

    // Spotzee stops answering, so both replicas hold work when Redis loses it: queued events, and
    // frozen batches waiting for a retry.
    await emulator().down();
    for (const replica of replicas) {
      for (let report = await replica.report(); report.stats.pending < 200; report = await replica.report()) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    await server.stop();
    const down = /RedisEventStore: Redis is unreachable \([^)]+\)\. Events are held in memory/;
    await waitFor(() => replicas.every((replica) => down.test(replica.child.log)), 'both replicas said so', 30_000);
    for (const { health } of await Promise.all(replicas.map((replica) => replica.report()))) {
      expect(health).toMatchObject({ healthy: false, store: { name: 'redis', up: false } });
    }
    await server.start();
    const lost =
      /RedisEventStore: Redis came back without its data \(restarted without persistence, or flushed\)\. This replica wrote back the (\d+) queued events and (\d+) frozen batches it holds/;
    await waitFor(() => replicas.every((replica) => lost.test(replica.child.log)), 'both replicas said so', 30_000);
    for (const replica of replicas) {
      const [, events, batches] = lost.exec(replica.child.log)!;
      expect(Number(events) + Number(batches)).toBeGreaterThan(0);
    }
    const back = /RedisEventStore: Redis is reachable again/;
    await waitFor(() => replicas.every((replica) => back.test(replica.child.log)), 'both replicas resumed', 30_000);
    for (const { health } of await Promise.all(replicas.map((replica) => replica.report()))) {
      expect(health).toMatchObject({ store: { name: 'redis', up: true } });
    }

    // A dies holding everything it captured before the restart (Spotzee is still down): what it wrote
    // back is all that is left of that work, and B must adopt it.
    await a!.post('/load/stop');
    await orders[0]!.stop();
    await a!.report();
    await a!.kill();
    await emulator().up();
    const adopted = /took over (\d+) queued events and (\d+) frozen batches/;
    await waitFor(() => adopted.test(b!.child.log), 'B adopted what A left', 30_000);
    await b!.post('/load/stop');
    await orders[1]!.stop();
    const { stats } = await settled(b!);

    const captured = new Set([...a!.captured, ...b!.captured]);
    await waitFor(() => missing(emulator(), captured).length === 0, 'every captured event delivered', 10_000).catch(
      () => undefined,
    );
    expect(missing(emulator(), captured).length).toBe(0);
    // A's frozen batches came back from its write-back, and were resent by B under their frozen key.
    expect(Number(adopted.exec(b!.child.log)![2])).toBeGreaterThan(0);
    expect(duplicates(emulator())).toEqual([]);
    expect([...arrivals(emulator()).keys()].filter((uid) => !captured.has(uid))).toEqual([]);
    expect(emulator().stats().idempotencyMismatches).toBe(0);
    expect(stats.captured).toBe(stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending);
    expect(stats).toMatchObject({ dropped: 0, rejected: 0, pending: 0, store: { up: true, depth: 0 } });
    // B counts what it captured and what it adopted from A: together, every event either one reported.
    expect(stats.delivered).toBeGreaterThan(b!.captured.length);
    await b!.terminate();
  }, 120_000);

  it('down at start-up: the app starts, says so, bounds what it holds, reports each drop, and delivers the rest once Redis is up', async () => {
    const server = (redis = await TestRedisServer.reserve());
    const app = await StoreAppProcess.start(
      libraryDir(),
      emulator(),
      { RUN: 'cold', STORE: 'redis', REDIS_URL: server.url, REDIS_PREFIX: 'cold' },
      { ...OPTIONS, maxQueueEvents: 50 },
    );
    apps.push(app);
    await waitFor(() => /RedisEventStore: Redis is unreachable/.test(app.child.log), 'the store said so', 30_000);

    await app.post('/burst/80');
    const { stats, health } = await app.report();
    expect(health).toMatchObject({ healthy: false, store: { name: 'redis', up: false } });
    expect(stats).toMatchObject({ captured: 80, pending: 50, dropped: 30, delivered: 0 });
    const dropped = app.dropped;
    expect(dropped.size).toBe(30);
    expect(new Set(dropped.values())).toEqual(new Set(['queue_full']));
    expect(emulator().events).toHaveLength(0);

    await server.start();
    const final = await settled(app);
    expect(final.stats).toMatchObject({ captured: 80, delivered: 50, dropped: 30, pending: 0, store: { up: true } });
    // Every captured event is accounted for: at the emulator exactly once, or in a reported drop, never both.
    const arrived = arrivals(emulator());
    for (const uid of app.captured) {
      expect([uid, (arrived.get(uid) ?? 0) + (dropped.has(uid) ? 1 : 0)]).toEqual([uid, 1]);
    }
    expect(app.child.log).toMatch(/RedisEventStore: Redis is reachable again/);
    await app.terminate();
  }, 120_000);
});
