import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { DeliveryEngine } from '../../../lib/delivery/index.js';
import type { DeliveryOptions } from '../../../lib/delivery/index.js';
import type { QueueStoreHooks } from '../../../lib/delivery/queue/event-queue-store.js';
import { SpotzeeEmulator } from '../../../lib/emulator/index.js';
import { RedisEventStore } from '../../../lib/redis/index.js';
import { queuedFromStored } from '../../../lib/stores/stored-records.js';
import { eventually } from '../../support/eventually.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { TestRedisServer, describeWithRedis } from '../../support/redis-server.js';
import { expectInvariant, FAST_OPTIONS, TEST_KEY } from '../../delivery/support/engine-harness.js';
import { storedEvent } from '../support/stored-event.js';

/**
 * What a capture leaves in Redis, and in which order, read off the server itself (its hashes, and its
 * MONITOR command stream): the value another replica adopts an event from, written before any command
 * that must find the event there. That each write is handed over before `track()` returns is proved by
 * the SIGKILL of `test/stores/processes/redis-replicas.e2e-spec.ts`.
 */
describeWithRedis('RedisEventStore capture writes (a real redis-server)', () => {
  let redis: TestRedisServer;
  let spotzee: SpotzeeEmulator;
  let client: Redis;
  let monitor: Redis;
  /** Every command Redis ran since the test began, lower-cased name first, from any connection. */
  let commands: string[][] = [];
  let prefixCounter = 0;
  const engines: DeliveryEngine[] = [];
  const stores: RedisEventStore[] = [];

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    spotzee = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY] });
    client = new Redis(redis.url);
    // `monitor()` opens a connection of its own: the one it was called on is closed at once.
    const base = new Redis(redis.url);
    monitor = await base.monitor();
    base.disconnect();
    monitor.on('monitor', (_time: string, args: string[]) => commands.push([args[0]!.toLowerCase(), ...args.slice(1)]));
  });

  afterAll(async () => {
    monitor.disconnect();
    client.disconnect();
    await spotzee.stop();
    await redis.stop();
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.close({ deadlineMs: 0 });
    for (const store of stores.splice(0)) await store.close();
    spotzee.reset();
    commands = [];
    prefixCounter += 1;
  });

  const prefix = () => `writes${prefixCounter}`;
  const eventsKey = (store: RedisEventStore) => `{${prefix()}}:events:${store.replicaId}`;
  function replica(options: DeliveryOptions = {}, leaseMs = 30_000) {
    const store = new RedisEventStore({ redis: redis.url, prefix: prefix(), leaseMs });
    const engine = new DeliveryEngine(
      { apiKey: TEST_KEY, baseUrl: spotzee.baseUrl, logger: new RecordingLogger(), ...FAST_OPTIONS, ...options },
      { queue: store },
    );
    engines.push(engine);
    return { engine, store };
  }

  const up = (engine: DeliveryEngine) => eventually(() => engine.stats().store.up, 'the store connected');

  /** Resolves once MONITOR has shown a command sent after this turn's: what was sent before it has run. */
  async function settled(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const marker = `settled-${Math.random()}`;
    await client.echo(marker);
    await eventually(() => commands.some(([name, value]) => name === 'echo' && value === marker), 'MONITOR caught up');
  }

  async function keysOf(store: RedisEventStore): Promise<string[]> {
    return (await client.hkeys(eventsKey(store))).sort();
  }

  /** A store driven directly, as the engine drives it. */
  async function openStore({ leaseMs = 30_000 } = {}): Promise<RedisEventStore> {
    const hooks: QueueStoreHooks = { adopt: () => {}, wake: () => {}, duplicate: () => {}, log: () => {} };
    const store = new RedisEventStore({ redis: redis.url, prefix: prefix(), leaseMs });
    stores.push(store);
    store.attach(hooks);
    store.recover();
    await eventually(() => store.status().up, 'the store connected');
    return store;
  }

  it('hands queued events to another replica field for field', async () => {
    const stopped = await openStore({ leaseMs: 1000 });
    const entries = [
      storedEvent(),
      storedEvent({
        externalId: null,
        anonymousId: 'anon_Zürich',
        idempotencyKey: 'order_placed:ord_東京',
        source: 'POST /orders',
        json: JSON.stringify({
          name: 'order_placed',
          anonymous_id: 'anon_Zürich',
          data: { note: '東京 → "quoted"\n' },
        }),
      }),
      storedEvent({ anonymousId: '', source: 'BillingService' }),
    ].map(queuedFromStored);
    for (const entry of entries) stopped.append(entry);
    await stopped.close();
    // A value written as JSON by a replica of an earlier version (a rolling deploy) is read too.
    const earlier = storedEvent({ source: 'BillingService' });
    await client.hset(eventsKey(stopped), earlier.id, JSON.stringify(earlier));
    entries.push(queuedFromStored(earlier));
    const survivor = replica({}, 1000);
    const delivered: unknown[] = [];
    survivor.engine.on('delivered', (outcome) => delivered.push(outcome.event));
    await up(survivor.engine);
    await eventually(() => survivor.engine.stats().captured === 4, 'the survivor adopted the events', 20_000);
    await survivor.engine.flush();
    expect(spotzee.events.map((received) => received.event)).toEqual(entries.map((e) => JSON.parse(e.event.json)));
    // `source` is absent from a summary when the event had none: toEqual treats the two alike.
    expect(delivered).toEqual(
      entries.map(({ event: { id, name, externalId, anonymousId, idempotencyKey, createdAt, source } }) => ({
        id,
        name,
        externalId,
        anonymousId,
        idempotencyKey,
        createdAt,
        source,
      })),
    );
    expectInvariant(survivor.engine);
  }, 30_000);

  it('writes captures before the batch that takes them is frozen', async () => {
    const store = await openStore();
    const entries = [1, 2, 3].map(() => queuedFromStored(storedEvent()));
    for (const entry of entries) store.append(entry);
    // In the same turn: the engine takes a batch as soon as one is due.
    const taken = await store.take({ maxEvents: 10, maxBytes: 1_000_000 });
    expect(taken).toEqual(entries);
    await settled();
    // Frozen in one step with its events leaving the queue: none is left queued in Redis.
    expect(await keysOf(store)).toEqual([]);
    expect(await client.hlen(`{${prefix()}}:batches:${store.replicaId}`)).toBe(1);
  });

  it('writes captures before giving the lease up on close, so none lands after another replica could adopt', async () => {
    const store = await openStore();
    const entries = [1, 2, 3].map(() => queuedFromStored(storedEvent()));
    for (const entry of entries) store.append(entry);
    await store.close();
    await settled();
    const alive = `{${prefix()}}:alive:${store.replicaId}`;
    const steps = commands
      .map(([name, key]) =>
        name === 'hset' && key === eventsKey(store)
          ? 'write'
          : name === 'del' && key === alive
            ? 'give up the lease'
            : '',
      )
      .filter((step) => step !== '');
    // One write per capture, all of them before the lease is given up.
    expect(steps).toEqual(['write', 'write', 'write', 'give up the lease']);
    expect(await keysOf(store)).toEqual(entries.map((entry) => entry.event.id).sort());
  });
});
