import { bodyBytes } from './batch-key.js';
import type { BatchPool } from './batch-pool.js';
import type { DeliveryGate } from './delivery-gate.js';
import { detachedImmediate, detachedTimeout } from './detached-scope.js';
import type { EventQueueStore } from './event-queue-store.js';
import type { FlushWaiters } from './flush-waiters.js';
import type { FrozenBatch } from './frozen-batch.js';
import type { OutcomeLedger } from './outcome-ledger.js';
import type { ResolvedDeliveryOptions } from './resolve-delivery-options.js';
import type { ShutdownDrain } from './shutdown-drain.js';

export interface SendSchedulerDeps {
  options: Readonly<ResolvedDeliveryOptions>;
  queue: EventQueueStore;
  pool: BatchPool;
  ledger: OutcomeLedger;
  gate: DeliveryGate;
  waiters: FlushWaiters;
  drain: ShutdownDrain;
  send: (batch: FrozenBatch) => void;
}

/**
 * Decides when batches leave. The pump fills free in-flight slots with due retries first, then with new
 * batches frozen from the queue once one is full or its oldest event has waited `flushIntervalMs`
 * (or at once, for a flush or the drain). Between pumps a single wake timer waits for the next thing
 * that becomes due, so nothing polls. All of it runs in the detached scope, never inside a caller's
 * async context.
 */
export class SendScheduler {
  #started = false;
  /** Events up to this sequence number leave as partial batches without waiting for the interval. */
  #forceSeq = 0;
  #pumpScheduled = false;
  #wakeTimer: NodeJS.Timeout | null = null;
  #wakeAt = Infinity;
  #wakeKeepsAlive = false;

  readonly #options: Readonly<ResolvedDeliveryOptions>;
  readonly #queue: EventQueueStore;
  readonly #pool: BatchPool;
  readonly #ledger: OutcomeLedger;
  readonly #gate: DeliveryGate;
  readonly #waiters: FlushWaiters;
  readonly #drain: ShutdownDrain;
  readonly #send: (batch: FrozenBatch) => void;

  constructor(deps: SendSchedulerDeps) {
    this.#options = deps.options;
    this.#queue = deps.queue;
    this.#pool = deps.pool;
    this.#ledger = deps.ledger;
    this.#gate = deps.gate;
    this.#waiters = deps.waiters;
    this.#drain = deps.drain;
    this.#send = deps.send;
  }

  get started(): boolean {
    return this.#started;
  }

  start(): void {
    this.#started = true;
    this.requestPump();
  }

  /** A flush: events up to `seq` go now, in partial batches if need be. */
  forceThrough(seq: number): void {
    this.#forceSeq = seq;
  }

  /** Coalesces into one pump on the next turn, run from the detached scope. */
  requestPump(): void {
    if (this.#pumpScheduled || this.#drain.finished) return;
    this.#pumpScheduled = true;
    detachedImmediate(() => {
      this.#pumpScheduled = false;
      this.pump();
    });
  }

  pump(): void {
    const drain = this.#drain;
    if (drain.finished) return;
    const now = Date.now();
    const gate = this.#gate;
    const pool = this.#pool;
    if (gate.halted) {
      if (pool.inFlight === 0 && now >= gate.nextProbeAt) this.#probe(now);
    } else if (now >= gate.pausedUntil) {
      while (pool.inFlight < this.#options.maxInFlight) {
        let batch = pool.nextDue(now);
        if (batch === null) {
          batch = this.#freezeIfReady(now);
          if (batch === null) break;
          // A durable store is still recording it: it is sent once stored.
          if (batch.nextAt > now) continue;
        }
        this.#send(batch);
      }
    }
    if (drain.closing && this.#closeCannotProgress(now)) {
      drain.expire('nothing more could be sent before the shutdown deadline');
      return;
    }
    this.#armWakeTimer(now);
  }

  /** The engine finished: no timer may hold the process or wake a finished engine. */
  stop(): void {
    if (this.#wakeTimer !== null) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = null;
  }

  /** While halted, one batch at a time tests whether Spotzee accepts requests again. */
  #probe(now: number): void {
    // Held batches first; a probe that failed without an answer left its batch waiting, so take those too.
    let batch = this.#pool.probeCandidate();
    if (batch === null && this.#queue.size > 0 && this.#queue.accepting) batch = this.#freeze(now);
    if (batch === null || batch.nextAt > now) return;
    this.#gate.probeSent(now);
    this.#send(batch);
  }

  /** Freezes the next batch from the queue when it is due; null when it should wait. */
  #freezeIfReady(now: number): FrozenBatch | null {
    const queue = this.#queue;
    const head = queue.peek();
    if (head === undefined || !queue.accepting) return null;
    // While a batch backs off after a transient failure, new batches wait too: no point stacking
    // requests onto a struggling server, and unfrozen events can still be trimmed by drop-oldest.
    if (this.#pool.isBackingOff()) return null;
    const forced = this.#drain.closing || head.seq <= this.#forceSeq;
    if (!forced) {
      if (!this.#started) return null;
      const { maxBatchEvents, maxBatchBytes, flushIntervalMs } = this.#options;
      const full = queue.size >= maxBatchEvents || bodyBytes(queue.size, queue.bytes) >= maxBatchBytes;
      if (!full && head.enqueuedAt + flushIntervalMs > now) return null;
    }
    return this.#freeze(now);
  }

  #freeze(now: number): FrozenBatch | null {
    return this.#pool.freeze(this.#queue, now, (duplicate) => this.#ledger.dropDuplicate(duplicate, this.#queue));
  }

  /** Closing, with nothing in flight: true when the next possible send falls after the deadline. */
  #closeCannotProgress(now: number): boolean {
    const pool = this.#pool;
    const gate = this.#gate;
    if (pool.inFlight > 0 || this.#ledger.pending === 0) return false;
    let next: number;
    if (gate.halted) next = gate.nextProbeAt;
    else {
      next = this.#queue.size > 0 && !pool.isBackingOff() ? now : Infinity;
      next = Math.min(next, pool.nextWaitingAt());
      next = Math.max(next, gate.pausedUntil);
    }
    return next > this.#drain.deadlineAt;
  }

  #armWakeTimer(now: number): void {
    const pool = this.#pool;
    const gate = this.#gate;
    const closing = this.#drain.closing;
    let at = Infinity;
    if (gate.halted) {
      if (pool.inFlight === 0 && this.#ledger.pending > 0) at = gate.nextProbeAt;
    } else if (pool.inFlight < this.#options.maxInFlight) {
      // With every slot taken, only a completion can make progress, and each one runs the pump: a timer
      // for work that is already due would just spin.
      at = pool.nextWaitingAt();
      const head = this.#queue.peek();
      if (head !== undefined && !pool.isBackingOff() && (this.#started || closing || head.seq <= this.#forceSeq)) {
        at = Math.min(
          at,
          head.seq <= this.#forceSeq || closing ? now : head.enqueuedAt + this.#options.flushIntervalMs,
        );
      }
      if (at !== Infinity) at = Math.max(at, gate.pausedUntil);
    }
    // Only keep the process alive while someone awaits flush() or close(); otherwise never hold it open.
    const keepAlive = closing || this.#waiters.size > 0;
    if (this.#wakeTimer !== null && this.#wakeAt === at && this.#wakeKeepsAlive === keepAlive) return;
    if (this.#wakeTimer !== null) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = null;
    this.#wakeAt = at;
    this.#wakeKeepsAlive = keepAlive;
    if (at === Infinity) return;
    this.#wakeTimer = detachedTimeout(
      () => {
        this.#wakeTimer = null;
        this.#wakeAt = Infinity;
        this.pump();
      },
      Math.max(at - Date.now(), 1),
      keepAlive,
    );
  }
}
