import type { PreparedEvent } from './spotzee-event.js';

/** A queued event with what the engine needs to schedule it. */
export interface QueuedEvent {
  readonly event: PreparedEvent;
  /** Commit order; `flush()` waits for everything up to a sequence number. */
  readonly seq: number;
  /** `Date.now()` at commit; a partial batch leaves `flushIntervalMs` after its oldest event. */
  readonly enqueuedAt: number;
}

/**
 * Storage for events not yet frozen into a batch, oldest first. Replaceable so a durable store can
 * be added; the engine owns the bounds and calls these synchronously.
 */
export abstract class EventQueueStore {
  /** Events held. */
  abstract get size(): number;
  /** Sum of the held events' `bytes`. */
  abstract get bytes(): number;
  abstract push(entry: QueuedEvent): void;
  /** The oldest entry, or undefined when empty. */
  abstract peek(): QueuedEvent | undefined;
  /** Removes and returns the oldest entry. */
  abstract shift(): QueuedEvent | undefined;
}
