import { batchBody, batchKey } from './batch-key.js';
import type { QueuedEvent, StoredBatch } from './event-queue-store.js';
import type { SplitFamily } from '../dispatch/split-family.js';

/**
 * A batch frozen at its first attempt: its body bytes and `Idempotency-Key` never change, so every
 * retry is byte-for-byte the request Spotzee may already have seen. Changing the event set (a partial
 * rejection, a split) always makes a new batch with a new key. It is what a store keeps of a batch.
 */
export class FrozenBatch implements StoredBatch {
  readonly key: string;
  readonly body: Buffer;
  readonly bytes: number;
  /** Where it is: waiting (to be sent or retried), in flight, or held while the engine is halted. */
  state: 'waiting' | 'in_flight' | 'held' = 'waiting';
  /** Transient failures so far: the retry budget spent. Rate-limit pauses do not count. */
  failures = 0;
  /** HTTP attempts made. */
  sends = 0;
  /** Earliest time of the next attempt. */
  nextAt: number;
  /** Waiting out a backoff after a transient failure. */
  backingOff = false;
  /** When the current (or last) attempt left, and its number in the engine's launch order. */
  launchedAt = 0;
  launch = 0;
  /** When its first transient failure happened: the retry budget is measured in time from here. */
  firstFailedAt: number | null = null;
  /** Every event has an outcome (e.g. dropped at the shutdown deadline while in flight). */
  settled = false;
  /** Halvings between the batch first frozen and this one; bounded, so no refusal splits forever. */
  splitDepth = 0;
  /** Set when a split made it (or its ancestor): its rejections are summarised once, for the root. */
  family: SplitFamily | null = null;
  /** When Spotzee first answered `idempotency_in_progress` for this key, in a row; null otherwise. */
  inProgressSince: number | null = null;

  /** `restored`: the key and bytes a previous process froze these entries into, kept as they were. */
  constructor(
    readonly entries: readonly QueuedEvent[],
    now: number,
    /** 0, or how many times these events moved to a new key after a replayed refusal. */
    readonly generation = 0,
    restored?: Pick<StoredBatch, 'key' | 'body'>,
  ) {
    if (restored === undefined) {
      const events = entries.map((entry) => entry.event);
      this.key = batchKey(events, generation);
      this.body = batchBody(events);
    } else {
      this.key = restored.key;
      this.body = restored.body;
    }
    this.bytes = this.body.length;
    this.nextAt = now;
  }

  get size(): number {
    return this.entries.length;
  }
}
