import type { EventQueueStore, MaybePromise, QueuedEvent, StoredBatch, TakeLimits } from './event-queue-store.js';
import { isPromiseLike } from './event-queue-store.js';
import { FrozenBatch } from './frozen-batch.js';
import type { ProblemLog } from '../ledger/engine-log.js';

/**
 * Every frozen batch with events still unsettled (waiting, in flight or held), and the counts derived
 * from them. An event is counted here from the step it leaves the queue until it gets its outcome.
 * Batch states move only through these methods, so the in-flight counts cannot drift from the
 * batches, and every change a durable store must know of (a batch frozen, acknowledged, released for
 * a retry) is told to the store here, and only here.
 */
export class BatchPool {
  readonly #batches = new Set<FrozenBatch>();
  #events = 0;
  #bytes = 0;
  #inFlight = 0;
  #inFlightEvents = 0;
  readonly #limits: TakeLimits;

  constructor(
    limits: { maxBatchEvents: number; maxBatchBytes: number },
    private readonly store: EventQueueStore,
    /** A store operation failed (rejected or threw): logged, and the engine carries on. */
    private readonly problems: ProblemLog,
  ) {
    this.#limits = { maxEvents: limits.maxBatchEvents, maxBytes: limits.maxBatchBytes };
  }

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

  /** Asks the store for the oldest queued events, up to the event and byte caps of one batch. */
  take(): MaybePromise<QueuedEvent[]> {
    return this.store.take(this.#limits);
  }

  /** Freezes events the store handed over into a new batch (null when it handed none). */
  adopt(entries: readonly QueuedEvent[], now: number): FrozenBatch | null {
    if (entries.length === 0) return null;
    let bytes = 0;
    for (const entry of entries) bytes += entry.event.bytes;
    // Counted here in the same step the store hands them over.
    this.#events += entries.length;
    this.#bytes += bytes;
    return this.add(entries, now);
  }

  /** A new batch from entries already counted here (freshly taken, or split off another batch). */
  add(entries: readonly QueuedEvent[], now: number, generation = 0): FrozenBatch {
    return this.#keep(new FrozenBatch(entries, now, generation));
  }

  /** A batch a previous process froze, found by the store's `recover()`: same key, same bytes. */
  restore(stored: StoredBatch, now: number): FrozenBatch {
    for (const entry of stored.entries) {
      this.#events += 1;
      this.#bytes += entry.event.bytes;
    }
    const batch = new FrozenBatch(stored.entries, now, 0, stored);
    this.#batches.add(batch);
    return batch;
  }

  /**
   * The same events under a new key, replacing `batch` (which must not be in flight). Only for a batch
   * Spotzee refused: a refused request committed nothing, so a new key cannot duplicate anything.
   */
  rekey(batch: FrozenBatch, now: number): FrozenBatch {
    const next = this.add(batch.entries, now, batch.generation + 1);
    next.splitDepth = batch.splitDepth;
    batch.family?.enter(next);
    this.settle(batch);
    return next;
  }

  #keep(batch: FrozenBatch): FrozenBatch {
    this.#batches.add(batch);
    this.#tell('frozen', batch);
    return batch;
  }

  /** Calls a store operation that may be asynchronous; a failure, sync or not, is reported, never thrown. */
  #tell(operation: 'frozen' | 'acknowledge' | 'release', batch: FrozenBatch): void {
    try {
      const result = this.store[operation](batch);
      if (isPromiseLike(result)) {
        result.then(undefined, (error: unknown) => this.problems.storeFailed(operation, error));
      }
    } catch (error) {
      this.problems.storeFailed(operation, error);
    }
  }

  /** One event of a frozen batch got its outcome. */
  settleEvent(entry: QueuedEvent): void {
    this.#events -= 1;
    this.#bytes -= entry.event.bytes;
  }

  /** Every event of the batch is about to get its outcome: it leaves the pool for good. */
  settle(batch: FrozenBatch): void {
    if (!batch.settled) batch.family?.leave(batch);
    if (batch.state === 'in_flight') this.#inFlightEvents -= batch.size;
    batch.state = 'waiting';
    batch.settled = true;
    this.#batches.delete(batch);
    this.#tell('acknowledge', batch);
  }

  /** A transient failure: the batch waits until `nextAt`, and the store may let it go meanwhile. */
  backOff(batch: FrozenBatch, nextAt: number): void {
    batch.nextAt = nextAt;
    batch.backingOff = true;
    this.#tell('release', batch);
  }

  /** The batch leaves as request number `launch` (see `ConcurrencyLimit`). */
  launch(batch: FrozenBatch, now: number, launch: number): void {
    batch.state = 'in_flight';
    batch.backingOff = false;
    batch.launchedAt = now;
    batch.launch = launch;
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
   * few new batches are frozen while many back off — the queue would keep filling for up to `retryMaxMs`.
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

  /** Batches waiting out a backoff after a transient failure. */
  backingOffCount(): number {
    let count = 0;
    for (const batch of this.#batches) if (batch.backingOff) count += 1;
    return count;
  }

  /**
   * Requests in flight that left after `slowBefore`: the ones that count against the concurrency
   * limit. An older one is slow, most likely waiting out its timeout, and must not hold a slot.
   */
  activeInFlight(slowBefore: number): number {
    if (this.#inFlight === 0) return 0;
    let count = 0;
    for (const batch of this.#batches) if (batch.state === 'in_flight' && batch.launchedAt > slowBefore) count += 1;
    return count;
  }

  /** When the earliest request still counted as active turns slow; Infinity when none will. */
  nextSlowAt(slowAfterMs: number, now: number): number {
    let at = Infinity;
    for (const batch of this.#batches) {
      const slowAt = batch.launchedAt + slowAfterMs;
      if (batch.state === 'in_flight' && slowAt > now && slowAt < at) at = slowAt;
    }
    return at;
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
