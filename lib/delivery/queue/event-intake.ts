import { DeliveryMessages as M } from '../delivery.messages.js';
import type { BatchPool } from './batch-pool.js';
import type { DedupeWindow } from './dedupe-window.js';
import { isPromiseLike } from './event-queue-store.js';
import type { EventQueueStore, QueuedEvent } from './event-queue-store.js';
import type { ListenerRegistry } from '../ledger/listener-registry.js';
import type { OutcomeLedger } from '../ledger/outcome-ledger.js';
import type { ResolvedDeliveryOptions } from '../resolve-delivery-options.js';
import type { ShutdownDrain } from '../dispatch/shutdown-drain.js';
import type { DropReason } from '../ledger/outcomes.js';
import type { PreparedEvent } from '../prepare/spotzee-event.js';

export interface EventIntakeDeps {
  options: Readonly<ResolvedDeliveryOptions>;
  queue: EventQueueStore;
  pool: BatchPool;
  ledger: OutcomeLedger;
  dedupe: DedupeWindow;
  listeners: ListenerRegistry;
  drain: ShutdownDrain;
}

/**
 * The door into the queue: after shutdown nothing gets in, a repeated explicit idempotency key is
 * settled as deduplicated (not sent, not a failure), and the overflow policy decides what goes when the queue is full. Every
 * committed event is counted as captured exactly once. This runs once per event on the caller's
 * thread, so it allocates nothing but the queue entry.
 */
export class EventIntake {
  #seq = 0;

  readonly #options: Readonly<ResolvedDeliveryOptions>;
  readonly #queue: EventQueueStore;
  readonly #pool: BatchPool;
  readonly #ledger: OutcomeLedger;
  readonly #dedupe: DedupeWindow;
  readonly #listeners: ListenerRegistry;
  readonly #drain: ShutdownDrain;

  constructor(deps: EventIntakeDeps) {
    this.#options = deps.options;
    this.#queue = deps.queue;
    this.#pool = deps.pool;
    this.#ledger = deps.ledger;
    this.#dedupe = deps.dedupe;
    this.#listeners = deps.listeners;
    this.#drain = deps.drain;
  }

  /** The sequence number of the last event committed; `flush()` waits for everything up to it. */
  get seq(): number {
    return this.#seq;
  }

  /**
   * Events a previous process left in the store (which still holds them): counted as captured, and
   * numbered before anything this engine captures.
   */
  recovered(entries: readonly QueuedEvent[]): void {
    for (const entry of entries) {
      this.#ledger.countCaptured();
      if (entry.seq > this.#seq) this.#seq = entry.seq;
    }
  }

  /** Recovered events the store counts without handing them over (a backlog it reads in turn). */
  recoveredBacklog(count: number, lastSeq: number): void {
    for (let i = 0; i < count; i++) this.#ledger.countCaptured();
    if (lastSeq > this.#seq) this.#seq = lastSeq;
  }

  admit(event: PreparedEvent, now: number): void {
    const ledger = this.#ledger;
    const entry: QueuedEvent = { event, seq: ++this.#seq, enqueuedAt: now };
    if (this.#drain.closing) {
      ledger.countCaptured();
      ledger.drop(entry, 'closed', M.dropShutDown());
      return;
    }
    if (event.idempotencyKey !== null && this.#dedupe.seen(event.idempotencyKey, now)) {
      ledger.countCaptured();
      ledger.deduplicate(entry, event.idempotencyKey, M.alreadyCaptured(event.idempotencyKey));
      return;
    }
    // Room is made before the new event counts as captured: listeners of the evicted events must see
    // the invariant hold, and the new event is not pending yet.
    const fits = this.#makeRoom(event.bytes);
    ledger.countCaptured();
    if (!fits) {
      ledger.drop(entry, 'queue_full', M.dropQueueFull(this.#options.overflow));
      return;
    }
    this.#append(entry);
    this.#listeners.emit('captured', event);
  }

  /** The memory store answers at once; a store that fails to keep the event gets it reported dropped. */
  #append(entry: QueuedEvent): void {
    try {
      const stored = this.#queue.append(entry);
      if (isPromiseLike(stored)) stored.then(undefined, (error: unknown) => this.#storeFailed(entry, error));
    } catch (error) {
      this.#storeFailed(entry, error);
    }
  }

  #storeFailed(entry: QueuedEvent, error: unknown): void {
    const detail = error instanceof Error ? error.message : String(error);
    this.#ledger.drop(entry, 'store_failed', M.dropStoreFailed(detail));
  }

  /**
   * True when the overflow policy would refuse any new event right now (drop-newest with the queue
   * at a bound): the caller drops it before paying to serialise it.
   */
  get refusesNewest(): boolean {
    const options = this.#options;
    return (
      options.overflow === 'drop-newest' &&
      (this.#ledger.pending + 1 > options.maxQueueEvents ||
        this.#queue.bytes + this.#pool.bytes >= options.maxQueueBytes)
    );
  }

  /**
   * Counts and drops an event that never entered the queue (a request over its bounds, a full queue
   * decided before serialising). Its key is not forgotten: it was never remembered for this event.
   */
  refuse(event: PreparedEvent, reason: DropReason, why: string, now: number): void {
    const entry: QueuedEvent = { event, seq: ++this.#seq, enqueuedAt: now };
    this.#ledger.countCaptured();
    this.#ledger.drop(entry, reason, why, { keepKey: true });
  }

  /** Applies the overflow policy; false when the new event must go. */
  #makeRoom(bytes: number): boolean {
    if (this.#fits(bytes)) return true;
    if (this.#options.overflow === 'drop-newest') return false;
    // Frozen batches cannot shed events without changing their bytes, so only the unbatched queue is trimmed.
    while (!this.#fits(bytes) && this.#queue.size > 0) {
      const oldest = this.#queue.shift()!;
      this.#ledger.drop(oldest, 'queue_full', M.dropEvicted());
    }
    return this.#fits(bytes);
  }

  #fits(bytes: number): boolean {
    const options = this.#options;
    return (
      this.#ledger.pending + 1 <= options.maxQueueEvents &&
      this.#queue.bytes + this.#pool.bytes + bytes <= options.maxQueueBytes
    );
  }
}
