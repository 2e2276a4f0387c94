import type { QueuedEvent } from '../delivery/queue/event-queue-store.js';
import type { PreparedEvent } from '../delivery/prepare/spotzee-event.js';

/**
 * What a durable store keeps, independent of where it keeps it (a log file, Redis). These are plain
 * data so they survive serialisation unchanged; the engine-facing store turns them back into queue
 * entries and frozen batches.
 */

/**
 * An event waiting to be batched: the prepared event (its serialised wire event exactly as it is sent)
 * without `bytes`, which is measured again on load, plus its queue position.
 */
export interface StoredEvent extends Omit<PreparedEvent, 'bytes'> {
  /** Commit order within the process that captured it; recovery keeps this order. */
  readonly seq: number;
  readonly enqueuedAt: number;
}

/**
 * A batch frozen at its first attempt. Its body bytes and `Idempotency-Key` are kept as sent, so a
 * batch that was in flight when its process died is resent byte for byte under the same key and
 * Spotzee's idempotency replay makes the delivery exactly-once.
 */
export interface StoredBatch {
  /** The store's own handle for the batch (two batches may share a key days apart). */
  readonly id: string;
  readonly key: string;
  readonly body: Buffer;
  readonly events: readonly StoredEvent[];
}

/** A queue entry as a store keeps it. */
export function storedFromQueued(entry: QueuedEvent): StoredEvent {
  const { event, seq, enqueuedAt } = entry;
  return {
    id: event.id,
    name: event.name,
    externalId: event.externalId,
    anonymousId: event.anonymousId,
    idempotencyKey: event.idempotencyKey,
    createdAt: event.createdAt,
    source: event.source,
    json: event.json,
    seq,
    enqueuedAt,
  };
}

/** A stored event back as the engine's prepared event (its byte count measured again). */
function preparedFromStored(stored: StoredEvent): PreparedEvent {
  return {
    id: stored.id,
    name: stored.name,
    externalId: stored.externalId,
    anonymousId: stored.anonymousId,
    idempotencyKey: stored.idempotencyKey,
    createdAt: stored.createdAt,
    source: stored.source,
    json: stored.json,
    bytes: Buffer.byteLength(stored.json),
  };
}

/** A stored event back as a queue entry, keeping its place in the order it was captured. */
export function queuedFromStored(stored: StoredEvent): QueuedEvent {
  return { event: preparedFromStored(stored), seq: stored.seq, enqueuedAt: stored.enqueuedAt };
}
