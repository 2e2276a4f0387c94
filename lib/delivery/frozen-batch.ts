import { batchBody, batchKey } from './batch-key.js';
import type { QueuedEvent } from './event-queue-store.js';

/**
 * A batch frozen at its first attempt: its body bytes and `Idempotency-Key` never change, so every
 * retry is byte-for-byte the request Spotzee may already have seen. Changing the event set (a partial
 * rejection, a split) always makes a new batch with a new key.
 */
export class FrozenBatch {
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
  /** Waiting after a transient failure: new batches are held back meanwhile. */
  backingOff = false;
  /** Every event has an outcome (e.g. dropped at the shutdown deadline while in flight). */
  settled = false;
  /** A durable store's handle for the batch, set when the store records it. */
  storeRef: string | null = null;

  /**
   * `recovered` carries the key and bytes a previous run froze: they are resent unchanged, never
   * recomputed, so the request is the one Spotzee may already have seen.
   */
  constructor(
    readonly entries: readonly QueuedEvent[],
    now: number,
    recovered?: { key: string; body: Buffer; ref: string },
  ) {
    if (recovered !== undefined) {
      this.key = recovered.key;
      this.body = recovered.body;
      this.storeRef = recovered.ref;
    } else {
      const events = entries.map((entry) => entry.event);
      this.key = batchKey(events);
      this.body = batchBody(events);
    }
    this.bytes = this.body.length;
    this.nextAt = now;
  }

  get size(): number {
    return this.entries.length;
  }
}
