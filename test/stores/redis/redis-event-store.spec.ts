import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { DeliveryEngine } from '../../../lib/delivery/index.js';
import type { DeliveryOptions, TrackInput } from '../../../lib/delivery/index.js';
import { SpotzeeEmulator } from '../../../lib/emulator/index.js';
import { RedisEventStore } from '../../../lib/redis/index.js';
import { eventually } from '../../support/eventually.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { TestRedisServer, describeWithRedis } from '../../support/redis-server.js';
import { event, expectInvariant, FAST_OPTIONS, TEST_KEY } from '../../delivery/support/engine-harness.js';

describeWithRedis('RedisEventStore (a real redis-server)', () => {
  let redis: TestRedisServer;
  let spotzee: SpotzeeEmulator;
  let prefixCounter = 0;
  let prefix = '';
  const engines: DeliveryEngine[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    spotzee = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY] });
  });

  afterAll(async () => {
    await spotzee.stop();
    await redis.stop();
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.close({ deadlineMs: 0 });
    spotzee.reset();
    await redis.start();
    prefixCounter += 1;
  });

  function replica(options: DeliveryOptions = {}, leaseMs = 30_000) {
    prefix = `test${prefixCounter}`;
    const logger = new RecordingLogger();
    const store = new RedisEventStore({ redis: redis.url, prefix, leaseMs });
    const engine = new DeliveryEngine(
      { apiKey: TEST_KEY, baseUrl: spotzee.baseUrl, logger, ...FAST_OPTIONS, ...options },
      { queue: store },
    );
    engines.push(engine);
    return { engine, store, logger };
  }

  const up = (engine: DeliveryEngine) => eventually(() => engine.stats().store.up, 'the store connected');

  it('delivers through Redis and leaves nothing behind', async () => {
    const { engine } = replica();
    await up(engine);
    engine.start();
    for (let i = 0; i < 120; i++) engine.capture(event());
    await engine.flush();
    expect(spotzee.events).toHaveLength(120);
    expect(engine.stats()).toMatchObject({ delivered: 120, pending: 0, store: { name: 'redis', up: true, depth: 0 } });
    const client = new Redis(redis.url);
    try {
      const leftovers = await client.keys(`{${prefix}}:events:*`);
      const batches = await client.keys(`{${prefix}}:batches:*`);
      expect([...leftovers, ...batches]).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it('sends an explicit key captured on two replicas once', async () => {
    const a = replica();
    const b = replica();
    await up(a.engine);
    await up(b.engine);
    const input: TrackInput = { ...event(), idempotencyKey: 'order_placed:ord_42' };
    a.engine.capture(input);
    b.engine.capture({ ...input });
    await Promise.all([a.engine.flush(), b.engine.flush()]);
    expect(spotzee.events).toHaveLength(1);
    const stats = [a.engine.stats(), b.engine.stats()];
    expect(stats.map((s) => s.delivered).sort()).toEqual([0, 1]);
    expect(stats.map((s) => s.deduplicated).sort()).toEqual([0, 1]);
    for (const engine of [a.engine, b.engine]) expectInvariant(engine);
  });

  it('hands a closed replica’s unsent batch to another, resent under its frozen key', async () => {
    const a = replica({}, 1000);
    const b = replica({}, 1000);
    await up(a.engine);
    await up(b.engine);
    let release!: () => void;
    spotzee.inject({ kind: 'slow', delayMs: 0, until: new Promise<void>((resolve) => (release = resolve)) });
    for (let i = 0; i < 4; i++) a.engine.capture(event());
    void a.engine.flush();
    await spotzee.waitUntil((s) => s.stats().inFlight === 1, { description: 'the batch in flight' });
    expect((await a.engine.close({ deadlineMs: 0 })).kept).toBe(4);
    release();
    await spotzee.waitForEvents(4);
    // B adopts on its next lease check; A gave its lease up on close.
    await eventually(() => b.engine.stats().captured === 4, 'B adopted the batch', 20_000);
    await b.engine.flush();
    expect(spotzee.events).toHaveLength(4);
    const requests = [...spotzee.requests].sort((x, y) => x.seq - y.seq);
    expect(requests[1]!.idempotencyKey).toBe(requests[0]!.idempotencyKey);
    expect(requests[1]!.body).toBe(requests[0]!.body);
    expect(requests[1]!.replayed).toBe(true);
    expect(b.engine.stats()).toMatchObject({ delivered: 4, pending: 0 });
  }, 30_000);

  it('keeps capturing while Redis is down, says so, and delivers everything once it is back', async () => {
    const { engine, logger } = replica();
    await up(engine);
    engine.start();
    engine.capture(event());
    await engine.flush();
    await redis.stop();
    await eventually(() => !engine.stats().store.up, 'the store noticed');
    for (let i = 0; i < 30; i++) expect(() => engine.capture(event())).not.toThrow();
    expect(engine.health()).toMatchObject({ healthy: false, store: { name: 'redis', up: false } });
    expect(logger.messages('error').join('\n')).toMatch(/Redis is unreachable/);
    expect(engine.stats()).toMatchObject({ captured: 31, delivered: 1, pending: 30 });
    await redis.start();
    await eventually(() => engine.stats().delivered === 31, 'delivery resumed', 20_000);
    expect(spotzee.events).toHaveLength(31);
    expect(logger.messages('warn').join('\n')).toMatch(
      /Redis is reachable again; \d+ writes held in memory were replayed/,
    );
    expectInvariant(engine);
  }, 30_000);

  it('writes back what it holds when Redis comes back without its data (a flush), and delivers it once', async () => {
    const { engine, store, logger } = replica({ maxBatchEvents: 25 });
    await up(engine);
    // Spotzee refuses connections: batches are frozen and wait for a retry, the rest stays queued.
    await spotzee.down();
    engine.start();
    for (let i = 0; i < 120; i++) engine.capture(event());
    const client = new Redis(redis.url);
    /** Events the replica's hashes hold: queued ones, and those in its frozen batches. */
    const inRedis = async (): Promise<{ queued: number; batches: number; batched: number }> => {
      const queued = await client.hlen(`{${prefix}}:events:${store.replicaId}`);
      const batches = Object.values(await client.hgetall(`{${prefix}}:batches:${store.replicaId}`));
      const batched = batches.reduce((sum, payload) => sum + (JSON.parse(payload) as { events: [] }).events.length, 0);
      return { queued, batches: batches.length, batched };
    };
    try {
      for (let held = await inRedis(); held.batches === 0 || held.queued + held.batched < 120; held = await inRedis()) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Redis loses everything, and the replica's connection with it, in one step (nothing written between).
      const [flushed, killed] = (await client
        .multi()
        .flushall()
        .client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes')
        .exec())!;
      expect([flushed![1], killed![1]]).toEqual(['OK', 1]);
      await eventually(
        () => /Redis came back without its data/.test(logger.messages('warn').join('\n')),
        'the store said so',
        20_000,
      );
      expect(logger.messages('warn').join('\n')).toMatch(
        /wrote back the \d+ queued events and [1-9]\d* frozen batches/,
      );
      const held = await inRedis();
      expect(held.batches).toBeGreaterThan(0);
      expect(held.queued + held.batched).toBe(120);
    } finally {
      client.disconnect();
    }
    await spotzee.up();
    await eventually(() => engine.stats().delivered === 120, 'delivered once Spotzee is back', 20_000);
    expect(new Set(spotzee.events.map((received) => received.event.external_id)).size).toBe(120);
    expect(spotzee.events).toHaveLength(120);
    expectInvariant(engine);
  }, 30_000);

  it('starts with Redis down, bounded by the queue limits, and drops the overflow with a report', async () => {
    await redis.stop();
    const { engine } = replica({ maxQueueEvents: 10 });
    engine.start();
    const dropped: string[] = [];
    engine.on('dropped', (outcome) => dropped.push(outcome.reason));
    for (let i = 0; i < 15; i++) engine.capture(event());
    expect(engine.stats()).toMatchObject({ captured: 15, pending: 10, dropped: 5, store: { up: false } });
    expect(dropped).toEqual(Array(5).fill('queue_full'));
    await redis.start();
    await eventually(() => engine.stats().delivered === 10, 'delivered after Redis came up', 20_000);
    expect(spotzee.events).toHaveLength(10);
  }, 30_000);
});
