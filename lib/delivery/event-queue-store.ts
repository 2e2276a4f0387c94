import type { FrozenBatch } from './frozen-batch.js';
import type { PreparedEvent } from './spotzee-event.js';

/** A queued event with what the engine needs to schedule it. */
export interface QueuedEvent {
  readonly event: PreparedEvent;
  /** Commit order; `flush()` waits for everything up to a sequence number. */
  readonly seq: number;
  /** `Date.now()` at commit; a partial batch leaves `flushIntervalMs` after its oldest event. */
  readonly enqueuedAt: number;
}

/** A batch a previous run (or a dead replica) froze and never finished: resent byte for byte, same key. */
export interface RecoveredBatch {
  readonly key: string;
  readonly body: Buffer;
  readonly events: readonly PreparedEvent[];
  /** The store's handle for it, handed back in `settled()`. */
  readonly ref: string;
}

/** Where a store stands, for stats, health and the Terminus indicator. */
export interface QueueStoreStatus {
  /** `memory`, `file`, `redis`. */
  name: string;
  /** False while the store cannot be written (Redis unreachable, disk full). */
  up: boolean;
  /** Events the store holds for this process: queued or in unfinished batches. */
  depth: number;
  /** What is wrong while `up` is false (or was last), without secrets. */
  problem: string | null;
}

/** What the engine offers a store once it is attached. */
export interface QueueStoreHooks {
  /** Something the store was waiting on is resolved (Redis is back, a dedupe verdict came in): send again. */
  wake(): void;
  /** Work taken over later (a dead replica's): its events join the queue, its batches are resent. */
  adopt(events: readonly PreparedEvent[], batches: readonly RecoveredBatch[]): void;
  log(level: 'log' | 'warn' | 'error', message: string): void;
}

/** What a store found when it opened: queued events (oldest first) and unfinished batches. */
export interface OpenedQueueStore {
  events: readonly PreparedEvent[];
  batches: readonly RecoveredBatch[];
}

/** What the store says about a queued event before it joins a batch. */
export type Admission = 'ready' | 'wait' | 'duplicate';

/**
 * Storage for events not yet frozen into a batch, oldest first, and — for a durable store — for the
 * frozen batches until their final outcome. The queue half is synchronous (it runs on the caller's
 * hot path); the durable half may be asynchronous: a store appends on `push`, records a batch on
 * `frozen` (the first attempt waits for a returned promise), and forgets it on `settled`. On `open` it
 * hands back what a previous run left. The memory store, the default, keeps nothing across restarts,
 * so every durable hook is a no-op here.
 */
export abstract class EventQueueStore {
  /** Events held. */
  abstract get size(): number;
  /** Sum of the held events' `bytes`. */
  abstract get bytes(): number;
  /** Adds an event; false when it could not be stored (the engine drops it as `store_unavailable`). */
  abstract push(entry: QueuedEvent): boolean | void;
  /** The oldest entry, or undefined when empty. */
  abstract peek(): QueuedEvent | undefined;
  /** Removes and returns the oldest entry (it is frozen into a batch or discarded next). */
  abstract shift(): QueuedEvent | undefined;

  /** True when pending work outlives the process: `close()` keeps what it cannot send instead of dropping it. */
  get durable(): boolean {
    return false;
  }

  /** Called once by the engine at construction: lock, recover, connect. Throws on a store that can never work. */
  open(_hooks: QueueStoreHooks): OpenedQueueStore {
    return { events: [], batches: [] };
  }

  /** Queues an event the store already holds (recovered or adopted) without storing it again. */
  requeue(entry: QueuedEvent): void {
    this.push(entry);
  }

  /** Whether the head event may join a batch now (`wait`: ask again after `wake`). */
  admit(_entry: QueuedEvent): Admission {
    return 'ready';
  }

  /** Whether new batches may be frozen now (false while a shared store is unreachable). */
  get accepting(): boolean {
    return true;
  }

  /** A batch was frozen (or split off another); a returned promise holds its first send until it is stored. */
  frozen(_batch: FrozenBatch): void | Promise<void> {}

  /** Every event of the batch has its final outcome. */
  settled(_batch: FrozenBatch): void {}

  /** Shifted entries that got an outcome without a batch (dropped). */
  discarded(_entries: readonly QueuedEvent[]): void {}

  status(): QueueStoreStatus {
    return { name: 'memory', up: true, depth: this.size, problem: null };
  }

  /** After the engine's drain: flush and release (sync, lock, connection). */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
