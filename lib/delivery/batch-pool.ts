import { bodyBytes } from './batch-key.js';
import type { EventQueueStore, QueuedEvent } from './event-queue-store.js';
import { FrozenBatch } from './frozen-batch.js';
import type { ResolvedDeliveryOptions } from './resolve-delivery-options.js';

export type BatchLimits = Pick<ResolvedDeliveryOptions, 'maxBatchEvents' | 'maxBatchBytes'>;

/**
 * Every frozen batch with events still unsettled (waiting, in flight or held), and the counts derived
 * from them. An event is counted here from the step it leaves the queue until it gets its outcome, so
 * `pending = queue + pool` never blips. Batch states move only through these methods, so the in-flight
 * counts cannot drift from the batches.
 */
export class BatchPool {
  readonly #batches = new Set<FrozenBatch>();
  #events = 0;
  #bytes = 0;
  #inFlight = 0;
  #inFlightEvents = 0;

  constructor(
    private readonly limits: BatchLimits,
    private readonly store: EventQueueStore,
  ) {}

  /** Events in frozen batches still without an outcome. */
  get events(): number {
    return this.#events;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  get inFlightEvents(): number {
    return this.#inFlightEvents;
  }

  /**
   * Moves the oldest queued events into a new batch, up to the event and byte caps. Stops early at an
   * event the store holds back (`wait`); an event the store knows as a duplicate goes to `onDuplicate`.
   * Null when no event could be taken.
   */
  freeze(queue: EventQueueStore, now: number, onDuplicate: (entry: QueuedEvent) => void): FrozenBatch | null {
    const { maxBatchEvents, maxBatchBytes } = this.limits;
    const entries: QueuedEvent[] = [];
    let bytes = 0;
    for (let next = queue.peek(); next !== undefined; next = queue.peek()) {
      if (entries.length >= maxBatchEvents) break;
      if (entries.length > 0 && bodyBytes(entries.length + 1, bytes + next.event.bytes) > maxBatchBytes) break;
      const admission = queue.admit(next);
      if (admission === 'wait') break;
      queue.shift();
      if (admission === 'duplicate') {
        onDuplicate(next);
        continue;
      }
      entries.push(next);
      bytes += next.event.bytes;
    }
    if (entries.length === 0) return null;
    // Counted as frozen in the same step they leave the queue, so `pending` never blips.
    this.#events += entries.length;
    this.#bytes += bytes;
    return this.add(entries, now);
  }

  /**
   * A new batch from entries already counted here (freshly frozen, or split off another batch). The
   * store records it; while a durable store is still writing it, the batch is not due.
   */
  add(entries: readonly QueuedEvent[], now: number): FrozenBatch {
    const batch = new FrozenBatch(entries, now);
    this.#batches.add(batch);
    const stored = this.store.frozen(batch);
    if (stored !== undefined) {
      batch.nextAt = Infinity;
      stored.then(
        () => {
          if (!batch.settled) batch.nextAt = Math.min(batch.nextAt, Date.now());
          this.onStored();
        },
        // A store that cannot record the batch keeps it unsent until it can; it says so itself.
        () => {},
      );
    }
    return batch;
  }

  /** Set by the engine: a batch became due because its store finished recording it. */
  onStored: () => void = () => {};

  /** A batch a previous run froze, with its key and bytes as they were; counted here from now on. */
  restore(
    entries: readonly QueuedEvent[],
    recovered: { key: string; body: Buffer; ref: string },
    now: number,
  ): FrozenBatch {
    const batch = new FrozenBatch(entries, now, recovered);
    for (const entry of entries) {
      this.#events += 1;
      this.#bytes += entry.event.bytes;
    }
    this.#batches.add(batch);
    return batch;
  }

  /** One event of a frozen batch got its outcome. */
  release(entry: QueuedEvent): void {
    this.#events -= 1;
    this.#bytes -= entry.event.bytes;
  }

  /** Every event of the batch is about to get its outcome: it leaves the pool for good. */
  settle(batch: FrozenBatch): void {
    if (batch.state === 'in_flight') this.#inFlightEvents -= batch.size;
    batch.state = 'waiting';
    batch.settled = true;
    this.#batches.delete(batch);
    this.store.settled(batch);
  }

  launch(batch: FrozenBatch): void {
    batch.state = 'in_flight';
    batch.backingOff = false;
    batch.sends += 1;
    this.#inFlight += 1;
    this.#inFlightEvents += batch.size;
  }

  /** The request ended, answered or not; a batch still in flight goes back to waiting. */
  land(batch: FrozenBatch): void {
    this.#inFlight -= 1;
    if (batch.state === 'in_flight') {
      this.#inFlightEvents -= batch.size;
      batch.state = 'waiting';
    }
  }

  /** The engine halted: the batch waits for a successful probe, whatever its retry schedule. */
  hold(batch: FrozenBatch): void {
    batch.state = 'held';
  }

  /** The waiting batch due earliest, if any is due. */
  nextDue(now: number): FrozenBatch | null {
    let best: FrozenBatch | null = null;
    for (const batch of this.#batches) {
      if (batch.state === 'waiting' && batch.nextAt <= now && (best === null || batch.nextAt < best.nextAt)) {
        best = batch;
      }
    }
    return best;
  }

  /** When the earliest waiting batch is due; Infinity when none waits. */
  nextWaitingAt(): number {
    let at = Infinity;
    for (const batch of this.#batches) if (batch.state === 'waiting') at = Math.min(at, batch.nextAt);
    return at;
  }

  /**
   * Spotzee just accepted a batch, so the failure the others are backing off from is over: make them
   * due now. Without this, after an outage every batch would sit out its own (by then long) backoff, and
   * no new batch is frozen while any backs off — the queue would keep filling for up to `retryMaxMs`.
   * Attempts already spent stay spent.
   */
  wakeBackingOff(now: number): void {
    for (const batch of this.#batches) {
      if (batch.backingOff && batch.state === 'waiting') {
        batch.backingOff = false;
        batch.nextAt = Math.min(batch.nextAt, now);
      }
    }
  }

  isBackingOff(): boolean {
    for (const batch of this.#batches) if (batch.backingOff) return true;
    return false;
  }

  /** What a halt probe sends: a held batch first; else one a failed probe left waiting. */
  probeCandidate(): FrozenBatch | null {
    let batch: FrozenBatch | null = null;
    for (const candidate of this.#batches) {
      if (candidate.state === 'held') return candidate;
      if (candidate.state === 'waiting' && batch === null) batch = candidate;
    }
    return batch;
  }

  /** The engine resumed: held batches become due at once. */
  unhold(now: number): void {
    for (const batch of this.#batches) {
      if (batch.state === 'held') {
        batch.state = 'waiting';
        batch.nextAt = now;
      }
    }
  }

  /** A snapshot, so settling batches while iterating is safe. */
  snapshot(): FrozenBatch[] {
    return [...this.#batches];
  }
}
