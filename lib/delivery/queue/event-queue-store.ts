import type { PreparedEvent } from '../prepare/spotzee-event.js';

/** A queued event with what the engine needs to schedule it. */
export interface QueuedEvent {
  readonly event: PreparedEvent;
  /** Commit order; `flush()` waits for everything up to a sequence number. */
  readonly seq: number;
  /** `Date.now()` at commit; a partial batch leaves `flushIntervalMs` after its oldest event. */
  readonly enqueuedAt: number;
}

/**
 * A batch as a store keeps it: its events, and the exact request they were frozen into. A batch the
 * store hands back after a restart is resent byte for byte under the same `Idempotency-Key`, so
 * Spotzee's replay makes a send that was in flight at a crash count once.
 */
export interface StoredBatch {
  readonly key: string;
  readonly body: Buffer;
  readonly entries: readonly QueuedEvent[];
}

/** Caps of one `take()`: at most this many events, and a request body of at most this many bytes. */
export interface TakeLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

/** What a store held for this engine when it started (a previous process's leftovers). */
export interface RecoveredQueue {
  /** Events appended and never taken into a batch, oldest first. */
  readonly events: readonly QueuedEvent[];
  /**
   * Queued events recovered beyond `events` that the store keeps where they are and reads in turn
   * (a disk-sized backlog is not handed over one by one): how many, and the highest sequence number
   * among them. They count as captured and pending like `events`; `size` and `bytes` include them.
   */
  readonly backlog?: { readonly count: number; readonly lastSeq: number };
  /** Batches taken and frozen but never acknowledged: they were in flight or waiting for a retry. */
  readonly batches: readonly StoredBatch[];
}

/** Where a store stands, for stats, health and the Terminus indicator. */
export interface QueueStoreStatus {
  /** `memory`, `file`, `redis`. */
  name: string;
  /** False while the store cannot be written (Redis unreachable, a full disk). */
  up: boolean;
  /** Events the store holds for this process: queued, and (for a durable store) in unfinished batches. */
  depth: number;
  /** What is wrong while `up` is false (or was last), without secrets. */
  problem: string | null;
}

/** What the engine offers a store that may find work, or trouble, after start-up. */
export interface QueueStoreHooks {
  /** Work taken over later (a stopped replica's), like `recover()`'s: queued events and frozen batches. */
  adopt(queue: RecoveredQueue): void;
  /** Something a `take()` waited for is back (Redis reconnected): try again now. */
  wake(): void;
  /** A queued event the store will not send: another instance already captured its explicit key. */
  duplicate(entry: QueuedEvent): void;
  log(level: 'log' | 'warn' | 'error', message: string): void;
}

/** A store's answer: a value now (the memory store, the hot path) or later (a disk or a network). */
export type MaybePromise<T> = T | PromiseLike<T>;

/**
 * Where events wait between capture and their outcome. The engine owns the bounds, the batching and
 * the schedule; a store owns where events live, and what survives the process:
 *
 * 1. `append` keeps a captured event (oldest first);
 * 2. `take` moves the oldest ones, within the batch caps, out of the queue to become a batch, and
 *    `frozen` is told the exact request they became (its key and body);
 * 3. `acknowledge` forgets a batch for good: every event in it has its outcome;
 * 4. `release` gives a batch back after a transient failure: it will be retried (by this engine, or,
 *    for a shared store, by whichever process takes it next);
 * 5. `recover` hands a new engine what a previous process left: events and frozen batches.
 *
 * Every operation may return a promise, so a store on disk or on a server can implement the seam; the
 * engine never blocks on one. The memory store answers synchronously, and the engine keeps that path
 * free of promises: capturing an event costs microseconds. `size`, `bytes` and `peek()` are read on
 * every scheduling decision and must answer at once (a durable store keeps them in memory).
 *
 * A rejected promise (or a throw) never crashes the engine: a failed `append` drops that event as
 * `store_failed`, reported; a failed `take` leaves the events queued and is tried again later; a failed
 * `frozen`, `acknowledge` or `release` is logged, and what it means for durability is the store's to say.
 */
export abstract class EventQueueStore {
  /** Events appended and not yet taken. */
  abstract get size(): number;
  /** Sum of those events' `bytes`. */
  abstract get bytes(): number;
  /** The oldest event not yet taken, or undefined when there is none. */
  abstract peek(): QueuedEvent | undefined;

  /** Keeps one captured event. `size`, `bytes` and `peek()` count it from this call on. */
  abstract append(entry: QueuedEvent): MaybePromise<void>;

  /**
   * Removes and returns the oldest events, as many as fit `limits` (at least one when any is queued).
   * `size`, `bytes` and `peek()` stop counting them when they are returned.
   */
  abstract take(limits: TakeLimits): MaybePromise<QueuedEvent[]>;

  /**
   * Removes and returns the oldest event not yet taken: the overflow policy `drop-oldest` and the
   * shutdown deadline discard it (reported). Synchronous: it decides what a capture does.
   */
  abstract shift(): QueuedEvent | undefined;

  /** The events of a `take()` became this exact request. A durable store keeps it until acknowledged. */
  frozen(batch: StoredBatch): MaybePromise<void> {
    void batch;
  }

  /** Every event of the batch has its outcome (delivered, rejected or dropped): forget it. */
  acknowledge(batch: StoredBatch): MaybePromise<void> {
    void batch;
  }

  /** The batch failed transiently and waits for a retry. */
  release(batch: StoredBatch): MaybePromise<void> {
    void batch;
  }

  /** What a previous process left. Called once, when the engine starts. */
  recover(): MaybePromise<RecoveredQueue> {
    return { events: [], batches: [] };
  }

  /**
   * True when what is pending outlives the process (a file, Redis): at the shutdown deadline the engine
   * leaves it in the store for the next start, or another replica, instead of dropping it.
   */
  get durable(): boolean {
    return false;
  }

  /** Called once, before `recover()`, with what the engine offers a store that acts on its own later. */
  attach(hooks: QueueStoreHooks): void {
    void hooks;
  }

  status(): QueueStoreStatus {
    return { name: 'memory', up: true, depth: this.size, problem: null };
  }

  /** The engine has finished: release files, connections, locks. */
  close(): MaybePromise<void> {
    return undefined;
  }
}

/** True for a promise (or any thenable) returned by a store. */
export function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function';
}
