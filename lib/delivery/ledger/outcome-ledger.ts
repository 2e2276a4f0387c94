import { DeliveryMessages as M } from '../delivery.messages.js';
import type { BatchPool } from '../queue/batch-pool.js';
import type { DedupeWindow } from '../queue/dedupe-window.js';
import type { QueuedEvent } from '../queue/event-queue-store.js';
import { summarizeEvent } from '../prepare/event-summary.js';
import type { FlushWaiters } from './flush-waiters.js';
import type { FrozenBatch } from '../queue/frozen-batch.js';
import type { ListenerRegistry } from './listener-registry.js';
import type { OutcomeLog } from './outcome-log.js';
import type {
  DeduplicatedOutcome,
  DiscardedOutcome,
  DropReason,
  RejectedOutcome,
  RejectionReason,
} from './outcomes.js';
import type { Redactor } from './redaction.js';
import type { EventSummary, PreparedEvent } from '../prepare/spotzee-event.js';

/**
 * An event counted as captured and pending before it can be prepared: an integration is still
 * validating it (an async schema, an async mapper). It ends through `release()` (then takes the
 * ordinary path) or is dropped by the shutdown drain.
 */
export interface Reservation {
  readonly event: EventSummary;
}

export interface DropOptions {
  /** The event sat in a frozen batch (retries exhausted, the deadline), not in the queue: the pool settles it too. */
  frozen?: boolean;
  /** Its idempotency key stays remembered: the drop is a dedupe hit, or the key was never remembered for it. */
  keepKey?: boolean;
}

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
 * + deduplicated + pending` holds at every moment, inside listeners too.
 */
export class OutcomeLedger {
  #captured = 0;
  #delivered = 0;
  #rejected = 0;
  #dropped = 0;
  #deduplicated = 0;
  #discarded = 0;
  readonly #reservations = new Set<Reservation>();

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

  /** Explicit idempotency keys seen again within the dedupe window: settled, not sent, not dropped. */
  get deduplicated(): number {
    return this.#deduplicated;
  }

  get discarded(): number {
    return this.#discarded;
  }

  /** Committed and not yet settled: queued, in flight, or waiting to be retried. */
  get pending(): number {
    // Reservations are captured but not yet queued: `stats()` adds them back as `validating`.
    return (
      this.#captured - this.#delivered - this.#rejected - this.#dropped - this.#deduplicated - this.#reservations.size
    );
  }

  /** Captured, still being validated by an integration (part of the pending count users see). */
  get validating(): number {
    return this.#reservations.size;
  }

  reserve(event: EventSummary): Reservation {
    const reservation: Reservation = { event };
    this.#captured += 1;
    this.#reservations.add(reservation);
    return reservation;
  }

  /**
   * Uncounts a reservation so its event can take the ordinary capture path, which counts it again:
   * both happen in one synchronous step, so no listener sees the difference. False when the shutdown
   * drain already dropped it.
   */
  release(reservation: Reservation): boolean {
    if (!this.#reservations.delete(reservation)) return false;
    this.#captured -= 1;
    return true;
  }

  /** Drops every reservation left (the engine is closing: nothing can be queued any more). */
  dropReservations(why: string): void {
    for (const reservation of [...this.#reservations]) {
      this.#reservations.delete(reservation);
      this.#dropped += 1;
      const event = reservation.event;
      this.#announceDrop(event, 'closed', M.eventOutcome(event.name, event.source, why));
    }
  }

  /** Events of a failed request, never captured: counted and announced, outside the invariant. */
  discard(events: readonly PreparedEvent[], reason: string, message: string): void {
    if (events.length === 0) return;
    this.#discarded += events.length;
    this.#outcomeLog.discarded(events.length, events[0]!.source, reason);
    if (!this.#listeners.has('discarded')) return;
    for (const prepared of events) {
      const outcome: DiscardedOutcome = { outcome: 'discarded', event: summarizeEvent(prepared), reason, message };
      this.#listeners.emit('discarded', outcome);
    }
  }

  /** An event entered the engine; its outcome follows (or it is now pending). */
  countCaptured(): void {
    this.#captured += 1;
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

  /** Dropped events forget their idempotency key (unless `keepKey`), so capturing them again is allowed. */
  drop(
    entry: QueuedEvent,
    reason: DropReason,
    why: string,
    { frozen = false, keepKey = false }: DropOptions = {},
  ): void {
    this.#dropped += 1;
    this.#settle(entry, frozen);
    if (!keepKey && entry.event.idempotencyKey !== null) this.#dedupe.forget(entry.event.idempotencyKey);
    const event = summarizeEvent(entry.event);
    this.#announceDrop(event, reason, M.eventOutcome(event.name, event.source, why));
  }

  /**
   * A captured event whose explicit idempotency key was captured already within the window: settled
   * without being sent. Its key stays remembered (it belongs to the first capture).
   */
  deduplicate(entry: QueuedEvent, idempotencyKey: string, why: string): void {
    this.#deduplicated += 1;
    this.#settle(entry, false);
    const event = summarizeEvent(entry.event);
    this.#outcomeLog.deduplicated(event.name);
    if (!this.#listeners.has('deduplicated') && !this.#listeners.has('outcome')) return;
    const message = this.#redact(M.eventOutcome(event.name, event.source, why));
    const outcome: DeduplicatedOutcome = { outcome: 'deduplicated', event, idempotencyKey, message };
    this.#listeners.emit('deduplicated', outcome);
    this.#listeners.emit('outcome', outcome);
  }

  #announceDrop(event: EventSummary, reason: DropReason, message: string): void {
    const outcome = { outcome: 'dropped' as const, event, reason, message };
    this.#listeners.emit('dropped', outcome);
    this.#listeners.emit('outcome', outcome);
    this.#outcomeLog.dropped(reason, event.name, message);
  }

  /** Bookkeeping shared by every outcome of a committed event; keeps `pending` and flush waiters exact. */
  #settle(entry: QueuedEvent, frozen: boolean): void {
    if (frozen) this.#pool.settleEvent(entry);
    this.#waiters.settled(entry.seq);
    if (this.onDrained !== null && this.pending === 0) this.onDrained();
  }
}
