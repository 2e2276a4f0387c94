import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { SpotzeeConfigurationError } from '../../delivery/errors.js';
import { batchBody, batchKey } from '../../delivery/queue/batch-key.js';
import { DurableEventStore } from '../durable-event-store.js';
import type {
  QueueStoreStatus,
  QueuedEvent,
  RecoveredQueue,
  StoredBatch,
  TakeLimits,
} from '../../delivery/queue/event-queue-store.js';
import type { StoredEvent } from '../stored-records.js';
import { queuedFromStored, storedFromQueued } from '../stored-records.js';
import { decodeEventPayload, encodeEventPayload } from './redis-event-payload.js';
import { RedisKeys } from './redis-keys.js';
import { ADOPT_SCRIPT, CLAIM_KEYS_SCRIPT, FREEZE_SCRIPT } from './redis-scripts.js';
import { RedisStoreMessages as M } from './redis-store.messages.js';

export interface RedisEventStoreOptions {
  /** A Redis URL (`redis://host:6379`), ioredis options, or your own ioredis client (the store uses a duplicate of it). */
  redis: string | RedisOptions | Redis;
  /** Namespace of every key; replicas that share work use the same one. Default `spotzee`. */
  prefix?: string;
  /**
   * A replica that has not renewed its lease for this long is taken for dead: another adopts its queued
   * events and frozen batches. Keep it well above your longest event-loop stall. Default 30 s.
   */
  leaseMs?: number;
  /** How long an explicit idempotency key is remembered across replicas. Default 24 h (Spotzee's own window). */
  dedupeWindowMs?: number;
}

interface StoredBatchPayload {
  key: string;
  body: string;
  events: StoredEvent[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Events per `HSET` when a replica writes what it held back (Redis reconnected, or lost its data). */
const WRITE_CHUNK_EVENTS = 512;

function detailOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Delivery shared by several replicas, on Redis's own primitives. Each replica appends the events it
 * captures to its own hash and freezes them into batches there (one Lua step: the batch is recorded
 * and its events leave the queue together), so a batch is only ever claimed by one replica. Each
 * replica renews a lease; when one stops (a SIGKILL, a crash, a lost node), the first replica to notice
 * adopts its queued events and frozen batches in one atomic step and resends the batches under their
 * frozen `Idempotency-Key`. Explicit idempotency keys are claimed with `SET NX PX` before an event joins
 * a batch, so the same domain event captured on two replicas is sent once.
 *
 * Why hashes and leases rather than Streams with a consumer group: a consumer group hands out and
 * reclaims single entries, while the unit that must move between replicas intact is a frozen batch
 * (its exact bytes under one key). Per-replica hashes moved by one script keep batches whole, and keep
 * each replica's counters exact: a replica only reports outcomes of events it captured or adopted.
 *
 * Redis unreachable: capture goes on into memory (within the queue limits; overflow is dropped and
 * reported), writes are replayed when Redis is back, and no new batch is sent meanwhile (sending
 * without Redis would skip the cross-replica dedupe). Nothing here blocks or throws into a request.
 * Redis back without its data (no persistence, a flush): each replica says so and writes back the
 * queued events and frozen batches it holds, so its work survives it dying afterwards.
 */
export class RedisEventStore extends DurableEventStore {
  readonly replicaId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #options: Required<Omit<RedisEventStoreOptions, 'redis'>>;
  readonly #keys: RedisKeys;
  readonly #connection: RedisEventStoreOptions['redis'];
  #client: Redis | null = null;
  #up = false;
  #problem: string | null = 'connecting';
  #closed = false;
  /** When the connection last became ready (monotonic ms): adoption waits a full lease after it. */
  #readyAt = 0;
  #batchSeq = 0;
  #timers: NodeJS.Timeout[] = [];
  /** Events not yet confirmed written (captured while Redis was down, or whose write failed). */
  readonly #unwritten = new Map<string, QueuedEvent>();
  /** Batch key → this store's handle for the batch. */
  readonly #refs = new Map<string, string>();
  readonly #deletedEvents = new Set<string>();
  readonly #deletedBatches = new Set<string>();
  /** Batch ref → the frozen batch, until acknowledged: written back if Redis loses it. */
  readonly #frozen = new Map<string, StoredBatch>();
  /** Batch key → a batch the engine froze while Redis was unreachable (see `frozen`). */
  readonly #unrecorded = new Map<string, StoredBatch>();
  /** The Redis generation token this replica last saw (null before the first connection). */
  #generation: string | null = null;

  constructor(options: RedisEventStoreOptions) {
    super();
    if (options === null || typeof options !== 'object' || options.redis === undefined || options.redis === null) {
      throw new SpotzeeConfigurationError(
        'store',
        M.invalidOption(
          'redis',
          `is required: a URL ('redis://localhost:6379'), ioredis options, or an ioredis client.`,
        ),
      );
    }
    const prefix = options.prefix ?? 'spotzee';
    if (typeof prefix !== 'string' || !/^[\w.:-]{1,64}$/.test(prefix)) {
      throw new SpotzeeConfigurationError(
        'store',
        M.invalidOption(
          'prefix',
          `must be 1..64 letters, digits, '_', '.', ':' or '-' (got ${JSON.stringify(prefix)}).`,
        ),
      );
    }
    const leaseMs = options.leaseMs ?? 30_000;
    const dedupeWindowMs = options.dedupeWindowMs ?? DAY_MS;
    for (const [name, value, min] of [
      ['leaseMs', leaseMs, 100],
      ['dedupeWindowMs', dedupeWindowMs, 1],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) {
        throw new SpotzeeConfigurationError(
          'store',
          M.invalidOption(name, `must be an integer of at least ${min} ms (got ${String(value)}).`),
        );
      }
    }
    this.#options = { prefix, leaseMs, dedupeWindowMs };
    this.#keys = new RedisKeys(prefix);
    this.#connection = options.redis;
  }

  /**
   * Connects in the background and returns nothing now: Redis down at start-up is reported, never
   * thrown. Work of stopped replicas (this process's previous life included) is adopted a lease after connecting.
   */
  override recover(): RecoveredQueue {
    const overrides: RedisOptions = {
      // Commands fail at once while disconnected; the store holds what it must replay itself, bounded.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectionName: `spotzee:${this.replicaId}`,
    };
    const connection = this.#connection;
    const client =
      connection instanceof Redis
        ? connection.duplicate(overrides)
        : typeof connection === 'string'
          ? new Redis(connection, overrides)
          : new Redis({ ...(connection as RedisOptions), ...overrides });
    this.#client = client;
    client.on('ready', () => void this.#onReady());
    client.on('error', (error: unknown) => this.#onDown(detailOf(error)));
    client.on('close', () => this.#onDown('connection closed'));
    const { leaseMs } = this.#options;
    this.#every(Math.max(50, Math.floor(leaseMs / 3)), () => void this.#renewLease());
    this.#every(Math.max(50, Math.floor(leaseMs / 2)), () => void this.#adopt());
    return { events: [], batches: [] };
  }

  /**
   * Queued in memory at once (the request never waits), and handed to the connection's socket before
   * this returns: a process killed right after `track()` still leaves the write with the operating
   * system, which delivers it. Redis's reply is not awaited. One command per event, on purpose: events
   * held back to share a command with the rest of the event-loop turn would die with the process.
   */
  append(entry: QueuedEvent): void {
    this.queue.append(entry);
    this.#unwritten.set(entry.event.id, entry);
    if (this.#up) this.#write([entry]);
  }

  /**
   * The oldest events, deduplicated across replicas and recorded as one batch (key and exact body) in
   * a single step before they are handed over. Refused while Redis is unreachable: the events wait.
   */
  async take(limits: TakeLimits): Promise<QueuedEvent[]> {
    // Writes still awaiting their reply do not hold a batch back: they were sent on this connection
    // before the freeze script, so Redis applies them first. Under steady load some always are.
    if (!this.#up || this.#client === null) {
      throw new Error(M.takeRefused(this.#problem ?? 'replaying'));
    }
    const client = this.#client;
    const taken = this.queue.take(limits);
    let entries = taken;
    const explicit = taken.filter((entry) => entry.event.idempotencyKey !== null);
    try {
      if (explicit.length > 0) {
        const verdicts = (await client.eval(
          CLAIM_KEYS_SCRIPT,
          explicit.length,
          ...explicit.map((entry) => this.#keys.idempotency(entry.event.idempotencyKey!)),
          this.#options.dedupeWindowMs,
          ...explicit.map((entry) => entry.event.id),
        )) as number[];
        const duplicates = new Set(explicit.filter((_, index) => verdicts[index] !== 1));
        if (duplicates.size > 0) {
          entries = taken.filter((entry) => !duplicates.has(entry));
          for (const entry of duplicates) {
            this.#deletedEvents.add(entry.event.id);
            this.hooks?.duplicate(entry);
          }
        }
      }
      if (entries.length > 0) {
        const events = entries.map((entry) => entry.event);
        await this.#freeze({ key: batchKey(events), body: batchBody(events), entries });
      }
      await this.#flushDeletes();
    } catch (error) {
      // The events are still in this replica's hash: they are sent now, and would be resent by an
      // adopter only if this process died before acknowledging them.
      this.#onDown(detailOf(error));
    }
    return entries;
  }

  /** Queued events discarded (drop-oldest, or the deadline): removed from Redis too. */
  shift(): QueuedEvent | undefined {
    const entry = this.queue.shift();
    if (entry === undefined) return entry;
    this.#unwritten.delete(entry.event.id);
    this.#deletedEvents.add(entry.event.id);
    void this.#flushDeletes();
    return entry;
  }

  /** A batch made without `take()` (the survivors of a partial rejection): recorded now. */
  override async frozen(batch: StoredBatch): Promise<void> {
    if (this.#refs.has(batch.key)) return;
    if (!this.#up) {
      // A take cut short by the disconnection (or a split while down): its events are still queued in
      // Redis's copy, unless Redis comes back without its data; then it is written back as a batch.
      this.#unrecorded.set(batch.key, batch);
      return;
    }
    await this.#freeze(batch);
  }

  override acknowledge(batch: StoredBatch): void {
    const ref = this.#refs.get(batch.key);
    if (ref === undefined) {
      this.#unrecorded.delete(batch.key);
      return;
    }
    this.#refs.delete(batch.key);
    this.#frozen.delete(ref);
    this.#deletedBatches.add(ref);
    void this.#flushDeletes();
  }

  override status(): QueueStoreStatus {
    let depth = this.queue.size;
    for (const batch of this.#frozen.values()) depth += batch.entries.length;
    return { name: 'redis', up: this.#up, depth, problem: this.#up ? null : this.#problem };
  }

  /**
   * Stops renewing the lease and gives it up at once, so another replica adopts what is left right
   * away instead of after `leaseMs`.
   */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    const client = this.#client;
    if (client === null) return;
    if (!this.#up && this.#unwritten.size > 0) {
      this.hooks?.log(
        'error',
        M.down(`${this.#unwritten.size} events captured while Redis was unreachable are lost with this process`),
      );
    }
    try {
      if (this.#up) await client.del(this.#keys.alive(this.replicaId));
      await client.quit();
    } catch {
      client.disconnect();
    }
  }

  #every(ms: number, run: () => void): void {
    const timer = setInterval(run, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  async #onReady(): Promise<void> {
    if (this.#closed) return;
    const client = this.#client!;
    const replayed = this.#unwritten.size + this.#deletedEvents.size + this.#deletedBatches.size;
    try {
      const generation = await this.#currentGeneration(client);
      await this.#renewLease({ force: true });
      // A token other than the one seen before: Redis lost its data (see RedisKeys.generation).
      if (this.#generation !== null && generation !== this.#generation) {
        const { events, batches } = await this.#writeBack(client);
        this.hooks?.log('warn', M.lostData(events, batches));
      } else if (this.#unwritten.size > 0) {
        const entries = [...this.#unwritten.values()];
        await Promise.all(this.#hset(entries, 0));
        for (const entry of entries) this.#unwritten.delete(entry.event.id);
      }
      await this.#flushDeletes();
      // Only now: a write-back cut short by another disconnection is tried again on the next connection.
      this.#generation = generation;
      this.#unrecorded.clear();
    } catch (error) {
      this.#onDown(detailOf(error));
      return;
    }
    const wasDown = this.#problem !== null && this.#problem !== 'connecting';
    this.#up = true;
    this.#problem = null;
    this.#readyAt = performance.now();
    // Captured during the replay above (the store was not up yet, so nothing wrote them): written now,
    // before any batch can be taken.
    if (this.#unwritten.size > 0) this.#write([...this.#unwritten.values()]);
    if (wasDown) this.hooks?.log('warn', M.up(replayed));
    this.hooks?.wake();
  }

  #onDown(detail: string): void {
    if (this.#closed) return;
    const wasUp = this.#up || this.#problem === 'connecting';
    this.#up = false;
    if (wasUp) this.hooks?.log('error', M.down(detail));
    this.#problem = detail;
  }

  async #renewLease({ force = false }: { force?: boolean } = {}): Promise<void> {
    if ((!this.#up && !force) || this.#closed) return;
    const client = this.#client!;
    await client
      .multi()
      .set(this.#keys.alive(this.replicaId), '1', 'PX', this.#options.leaseMs)
      .sadd(this.#keys.replicas, this.replicaId)
      .exec()
      .catch((error: unknown) => {
        if (force) throw error;
      });
  }

  /** Sends `entries` now; each leaves `#unwritten` once Redis confirms it. Nothing is sent while Redis is down. */
  #write(entries: readonly QueuedEvent[]): void {
    for (const written of this.#hset(entries, 0)) {
      written.then(
        (events) => {
          // Discarded meanwhile: its delete was queued behind this write, on the same connection.
          for (const entry of events) this.#unwritten.delete(entry.event.id);
        },
        (error: unknown) => this.#onDown(detailOf(error)),
      );
    }
  }

  /** `HSET`s of the events from `from` on, a bounded number per command; each resolves to its events. */
  #hset(entries: readonly QueuedEvent[], from: number): Promise<readonly QueuedEvent[]>[] {
    const client = this.#client!;
    const key = this.#keys.events(this.replicaId);
    const commands: Promise<readonly QueuedEvent[]>[] = [];
    for (let start = from; start < entries.length; start += WRITE_CHUNK_EVENTS) {
      const chunk = entries.slice(start, start + WRITE_CHUNK_EVENTS);
      const fields: string[] = [];
      for (const entry of chunk) fields.push(entry.event.id, encodeEventPayload(entry));
      commands.push(client.hset(key, ...fields).then(() => chunk));
    }
    return commands;
  }

  /** Redis's generation token, set now if it has none (a first start, or a restart that lost it). */
  async #currentGeneration(client: Redis): Promise<string> {
    const key = this.#keys.generation;
    const results = await client.multi().set(key, randomBytes(8).toString('hex'), 'NX').get(key).exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
    return results?.[1]?.[1] as string;
  }

  /**
   * Writes everything this replica holds back into a Redis that lost it: its queued events and its
   * frozen batches (same ref, key and bytes), so a replica that dies after the restart still leaves
   * its work for another to adopt. Events captured meanwhile stay in `#unwritten` and follow.
   */
  async #writeBack(client: Redis): Promise<{ events: number; batches: number }> {
    const events = [...this.queue.entries()];
    for (const batch of this.#unrecorded.values()) {
      const ref = this.#nextRef();
      this.#refs.set(batch.key, ref);
      this.#frozen.set(ref, batch);
    }
    this.#unrecorded.clear();
    const batches = [...this.#frozen];
    const pipeline = client.pipeline();
    for (let from = 0; from < events.length; from += WRITE_CHUNK_EVENTS) {
      const chunk = events.slice(from, from + WRITE_CHUNK_EVENTS);
      pipeline.hset(
        this.#keys.events(this.replicaId),
        ...chunk.flatMap((entry) => [entry.event.id, encodeEventPayload(entry)]),
      );
    }
    for (const [ref, batch] of batches) {
      const payload: StoredBatchPayload = {
        key: batch.key,
        body: batch.body.toString('utf8'),
        events: batch.entries.map(storedFromQueued),
      };
      pipeline.hset(this.#keys.batches(this.replicaId), ref, JSON.stringify(payload));
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
    for (const entry of events) this.#unwritten.delete(entry.event.id);
    return { events: events.length, batches: batches.length };
  }

  /** A handle for the next batch this replica records, unique across replicas. */
  #nextRef(): string {
    this.#batchSeq += 1;
    return `${this.replicaId}.${this.#batchSeq}`;
  }

  async #freeze(batch: StoredBatch): Promise<void> {
    const ref = this.#nextRef();
    const events = batch.entries.map(storedFromQueued);
    const payload: StoredBatchPayload = { key: batch.key, body: batch.body.toString('utf8'), events };
    const keys = [this.#keys.events(this.replicaId), this.#keys.batches(this.replicaId)];
    await this.#client!.eval(
      FREEZE_SCRIPT,
      2,
      ...keys,
      ref,
      JSON.stringify(payload),
      ...events.map((event) => event.id),
    );
    this.#refs.set(batch.key, ref);
    this.#frozen.set(ref, batch);
  }

  async #flushDeletes(): Promise<void> {
    if (!this.#up || (this.#deletedEvents.size === 0 && this.#deletedBatches.size === 0)) return;
    const events = [...this.#deletedEvents];
    const batches = [...this.#deletedBatches];
    this.#deletedEvents.clear();
    this.#deletedBatches.clear();
    const pipeline = this.#client!.pipeline();
    if (events.length > 0) pipeline.hdel(this.#keys.events(this.replicaId), ...events);
    if (batches.length > 0) pipeline.hdel(this.#keys.batches(this.replicaId), ...batches);
    try {
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error !== null);
      if (failed) throw failed[0];
    } catch (error) {
      for (const id of events) this.#deletedEvents.add(id);
      for (const ref of batches) this.#deletedBatches.add(ref);
      this.#onDown(detailOf(error));
    }
  }

  /**
   * Takes over the work of replicas whose lease expired; exactly one replica wins each. Not within a
   * lease of this replica's own (re)connection: after Redis restarts, every lease it kept has expired
   * (or was lost without persistence), and a live replica that reconnects a moment later than this
   * one would otherwise have its work adopted while it still sends it, and its queued events sent twice.
   */
  async #adopt(): Promise<void> {
    if (!this.#up || this.#closed || performance.now() - this.#readyAt < this.#options.leaseMs) return;
    let flat: string[];
    try {
      flat = (await this.#client!.eval(
        ADOPT_SCRIPT,
        1,
        this.#keys.replicas,
        this.#keys.tag,
        this.replicaId,
      )) as string[];
    } catch (error) {
      this.hooks?.log('warn', M.scriptFailed('adopting the work of a stopped replica', detailOf(error)));
      return;
    }
    if (flat.length === 0) return;
    const events: StoredEvent[] = [];
    const batches: StoredBatch[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      const [kind, ref, payload] = [flat[i], flat[i + 1]!, flat[i + 2]!];
      if (kind === 'e') events.push(decodeEventPayload(ref, payload));
      else {
        const batch = JSON.parse(payload) as StoredBatchPayload;
        const adopted: StoredBatch = {
          key: batch.key,
          body: Buffer.from(batch.body, 'utf8'),
          entries: batch.events.map(queuedFromStored),
        };
        this.#refs.set(batch.key, ref);
        this.#frozen.set(ref, adopted);
        batches.push(adopted);
      }
    }
    events.sort((a, b) => a.enqueuedAt - b.enqueuedAt || a.seq - b.seq);
    this.hooks?.log('warn', M.adopted(events.length, batches.length));
    const queued = events.map(queuedFromStored);
    for (const entry of queued) this.queue.append(entry);
    this.hooks?.adopt({ events: queued, batches });
  }
}
