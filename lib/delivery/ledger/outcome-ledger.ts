import type { BatchPool } from '../queue/batch-pool.js';
import type { DedupeWindow } from '../queue/dedupe-window.js';
import type { QueuedEvent } from '../queue/event-queue-store.js';
import { describeEvent, summarizeEvent } from '../prepare/event-summary.js';
import type { FlushWaiters } from './flush-waiters.js';
import type { FrozenBatch } from '../queue/frozen-batch.js';
import type { ListenerRegistry } from './listener-registry.js';
import type { OutcomeLog } from './outcome-log.js';
import type { DropReason, RejectedOutcome, RejectionReason } from './outcomes.js';
import type { Redactor } from './redaction.js';

export interface OutcomeLedgerDeps {
  pool: BatchPool;
  waiters: FlushWaiters;
  listeners: ListenerRegistry;
  dedupe: DedupeWindow;
  outcomeLog: OutcomeLog;
  redact: Redactor;
}

/**
 * Where every event's one outcome is counted and announced. `pending` is what was captured and has no
 * outcome yet, from these counters alone: an event handed between a store and a batch (which a store
 * answering asynchronously does over several turns) can never make it blip. Each outcome is counted
 * (and its event released) before any listener hears of it: `captured = delivered + rejected + dropped
 * + pending` holds at every moment, inside listeners too.
 */
export class OutcomeLedger {
  #captured = 0;
  #delivered = 0;
  #rejected = 0;
  #dropped = 0;
  #duplicates = 0;

  /** Set while `close()` drains: called as soon as the last pending event has its outcome. */
  onDrained: (() => void) | null = null;

  readonly #pool: BatchPool;
  readonly #waiters: FlushWaiters;
  readonly #listeners: ListenerRegistry;
  readonly #dedupe: DedupeWindow;
  readonly #outcomeLog: OutcomeLog;
  readonly #redact: Redactor;

  constructor(deps: OutcomeLedgerDeps) {
    this.#pool = deps.pool;
    this.#waiters = deps.waiters;
    this.#listeners = deps.listeners;
    this.#dedupe = deps.dedupe;
    this.#outcomeLog = deps.outcomeLog;
    this.#redact = deps.redact;
  }

  get captured(): number {
    return this.#captured;
  }

  get delivered(): number {
    return this.#delivered;
  }

  get rejected(): number {
    return this.#rejected;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Subset of `dropped`: explicit idempotency keys seen again within the dedupe window. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** Captured and not yet settled: queued, in flight, or waiting to be retried. */
  get pending(): number {
    return this.#captured - this.#delivered - this.#rejected - this.#dropped;
  }

  /** An event entered the engine; its outcome follows (or it is now pending). */
  countCaptured(): void {
    this.#captured += 1;
  }

  countDuplicate(): void {
    this.#duplicates += 1;
  }

  /** Refused by validation: counted as captured and rejected at once, never pending. */
  rejectAtCapture(rejection: RejectedOutcome): void {
    this.#captured += 1;
    this.#rejected += 1;
    const outcome = { ...rejection, message: this.#redact(rejection.message) };
    this.#listeners.emit('rejected', outcome);
    this.#listeners.emit('outcome', outcome);
    this.#outcomeLog.rejectedAtCapture(outcome);
  }

  /** `entries`: the batch's events Spotzee committed, when a 2xx said some others failed. Default: all. */
  deliver(
    batch: FrozenBatch,
    requestId: string | null,
    replayed: boolean,
    entries: readonly QueuedEvent[] = batch.entries,
  ): void {
    const listeners = this.#listeners;
    // A delivered outcome is only ever announced to listeners: with none, skip building one per event.
    const announce = listeners.has('delivered') || listeners.has('outcome');
    for (const entry of entries) {
      this.#delivered += 1;
      this.#settle(entry, true);
      if (!announce) continue;
      const outcome = {
        outcome: 'delivered' as const,
        event: summarizeEvent(entry.event),
        batchKey: batch.key,
        requestId,
        replayed,
      };
      this.#listeners.emit('delivered', outcome);
      this.#listeners.emit('outcome', outcome);
    }
  }

  reject(
    entry: QueuedEvent,
    frozen: boolean,
    reason: RejectionReason,
    message: string,
    extra: Partial<RejectedOutcome> = {},
  ): void {
    this.#rejected += 1;
    this.#settle(entry, frozen);
    const outcome: RejectedOutcome = {
      outcome: 'rejected',
      event: summarizeEvent(entry.event),
      reason,
      message: this.#redact(message),
      ...extra,
    };
    this.#listeners.emit('rejected', outcome);
    this.#listeners.emit('outcome', outcome);
  }

  /**
   * `frozen` says whether the event sat in a frozen batch (true) or in the queue / was never queued
   * (false). Dropped events forget their idempotency key, so capturing them again is allowed.
   */
  drop(entry: QueuedEvent, reason: DropReason, why: string, forgetKey = true, frozen = false): void {
    this.#dropped += 1;
    this.#settle(entry, frozen);
    if (forgetKey && entry.event.idempotencyKey !== null) this.#dedupe.forget(entry.event.idempotencyKey);
    const event = summarizeEvent(entry.event);
    const outcome = {
      outcome: 'dropped' as const,
      event,
      reason,
      message: `Spotzee event ${describeEvent(event.name, event.source)} ${why}`,
    };
    this.#listeners.emit('dropped', outcome);
    this.#listeners.emit('outcome', outcome);
    this.#outcomeLog.dropped(reason, event.name, outcome.message);
  }

  /** Bookkeeping shared by every outcome of a committed event; keeps `pending` and flush waiters exact. */
  #settle(entry: QueuedEvent, frozen: boolean): void {
    if (frozen) this.#pool.settleEvent(entry);
    this.#waiters.settled(entry.seq);
    if (this.onDrained !== null && this.pending === 0) this.onDrained();
  }
}
