import { bodyBytes } from '../queue/batch-key.js';
import type { BatchPool } from '../queue/batch-pool.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import type { DeliveryGate } from './delivery-gate.js';
import { detachedImmediate, detachedTimeout } from './detached-scope.js';
import { isPromiseLike } from '../queue/event-queue-store.js';
import type { EventQueueStore, MaybePromise, QueuedEvent } from '../queue/event-queue-store.js';
import type { FlushWaiters } from '../ledger/flush-waiters.js';
import type { FrozenBatch } from '../queue/frozen-batch.js';
import type { OutcomeLedger } from '../ledger/outcome-ledger.js';
import type { ResolvedDeliveryOptions } from '../resolve-delivery-options.js';
import { ShutdownDrain } from './shutdown-drain.js';
import type { BatchSender } from './batch-sender.js';
import type { DeliveryTransport } from './delivery-transport.js';
import type { EngineLog, ProblemLog } from '../ledger/engine-log.js';
import type { OutcomeLog } from '../ledger/outcome-log.js';
import { DeliveryMessages as M } from '../delivery.messages.js';

export interface SendSchedulerDeps {
  options: Readonly<ResolvedDeliveryOptions>;
  queue: EventQueueStore;
  pool: BatchPool;
  ledger: OutcomeLedger;
  gate: DeliveryGate;
  waiters: FlushWaiters;
  concurrency: ConcurrencyLimit;
  sender: BatchSender;
  /** A store's `take()` that failed is logged here, and tried again `TAKE_RETRY_MS` later. */
  problems: ProblemLog;
  /** What the shutdown drain needs besides the above. */
  outcomeLog: OutcomeLog;
  transport: DeliveryTransport;
  log: EngineLog;
}

/** After a store's `take()` failed, how long until the next one. */
const TAKE_RETRY_MS = 1_000;

/**
 * A request still unanswered after this long is slow whatever the usual answer time (see
 * `ConcurrencyLimit.slowAfterMs`): it stops counting against the concurrency limit, so one stuck
 * request cannot stall everything behind it. Capped by half the request timeout, so short timeouts
 * still free their slot before they expire.
 */
export const SLOW_REQUEST_MS = 2_000;
/** Open requests, slow ones included, never exceed this many per `maxInFlight` slot (sockets stay bounded). */
export const OPEN_REQUESTS_PER_SLOT = 2;
/**
 * Batches waiting out a backoff, per `maxInFlight` slot, before new batches wait in the queue: partial
 * failure leaves a few backing off while the rest flows, and a full outage freezes no more than this,
 * so the queue's overflow policy can still choose what to keep.
 */
const BACKING_OFF_PER_SLOT = 2;

/**
 * Decides when batches leave. The pump fills free in-flight slots with due retries first, then with new
 * batches frozen from the queue once one is full or its oldest event has waited `flushIntervalMs`
 * (or at once, for a flush or the drain). No batch waits for another: one backing off or stuck on a
 * slow answer leaves the others flowing. What protects a struggling server is the number of slots,
 * adapted to the failure rate (`ConcurrencyLimit`), and the pause the server itself asks for. Between
 * pumps a single wake timer waits for the next thing that becomes due, so nothing polls. All of it
 * runs in the detached scope, never inside a caller's async context.
 */
export class SendScheduler {
  #started = false;
  /** Events up to this sequence number leave as partial batches without waiting for the interval. */
  #forceSeq = 0;
  #pumpScheduled = false;
  #wakeTimer: NodeJS.Timeout | null = null;
  #wakeAt = Infinity;
  #wakeKeepsAlive = false;
  /** The armed wake-up accounts for the queue's head: its flush time, or sooner. */
  #headArmed = false;

  readonly #options: Readonly<ResolvedDeliveryOptions>;
  readonly #queue: EventQueueStore;
  readonly #pool: BatchPool;
  readonly #ledger: OutcomeLedger;
  readonly #gate: DeliveryGate;
  readonly #waiters: FlushWaiters;
  readonly #concurrency: ConcurrencyLimit;
  readonly #sender: BatchSender;
  readonly #problems: ProblemLog;
  /**
   * The end of sending: `close()` lets the pump run until every event has its outcome or the deadline
   * passes. The scheduler consults it on every pump, and the drain drives the scheduler: built here.
   */
  readonly drain: ShutdownDrain;
  /** The longest a request may take before it counts as slow. */
  readonly #slowCapMs: number;
  readonly #maxOpen: number;
  readonly #maxBackingOff: number;
  /** A store's asynchronous `take()` is under way: one at a time. */
  #taking = false;
  /** No `take()` before this time (one failed). */
  #takeBlockedUntil = 0;

  constructor(deps: SendSchedulerDeps) {
    this.#options = deps.options;
    this.#queue = deps.queue;
    this.#pool = deps.pool;
    this.#ledger = deps.ledger;
    this.#gate = deps.gate;
    this.#waiters = deps.waiters;
    this.#concurrency = deps.concurrency;
    this.#sender = deps.sender;
    this.#problems = deps.problems;
    const { options, queue, pool, ledger, gate, waiters, outcomeLog, transport, log } = deps;
    this.drain = new ShutdownDrain({
      options,
      queue,
      pool,
      ledger,
      gate,
      waiters,
      outcomeLog,
      transport,
      log,
      scheduler: this,
    });
    const { maxInFlight, requestTimeoutMs } = deps.options;
    this.#slowCapMs = Math.min(SLOW_REQUEST_MS, Math.ceil(requestTimeoutMs / 2));
    this.#maxOpen = maxInFlight * OPEN_REQUESTS_PER_SLOT;
    this.#maxBackingOff = maxInFlight * BACKING_OFF_PER_SLOT;
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

  /**
   * Events were queued. A pump is worth its turn only when it can act on them now: a batch has
   * filled, or no wake-up is armed for the queue's head yet (its first event needs the flush timer).
   * Otherwise the armed timer, or the completion of a request in flight, runs it: under load one pump
   * per batch rather than one per event-loop turn.
   */
  eventsQueued(): void {
    const queue = this.#queue;
    if (queue.size === 0) return;
    if (this.#headArmed && this.#started && !this.drain.closing) {
      const { maxBatchEvents, maxBatchBytes } = this.#options;
      if (queue.size < maxBatchEvents && bodyBytes(queue.size, queue.bytes) < maxBatchBytes) return;
    }
    this.requestPump();
  }

  /** Coalesces into one pump on the next turn, run from the detached scope. */
  requestPump(): void {
    if (this.#pumpScheduled || this.drain.finished) return;
    this.#pumpScheduled = true;
    detachedImmediate(() => {
      this.#pumpScheduled = false;
      this.pump();
    });
  }

  pump(): void {
    const drain = this.drain;
    if (drain.finished) return;
    const now = Date.now();
    const gate = this.#gate;
    const pool = this.#pool;
    if (gate.halted) {
      if (pool.inFlight === 0 && now >= gate.nextProbeAt) this.#probe(now);
    } else if (now >= gate.pausedUntil) {
      while (this.#hasFreeSlot(now)) {
        const batch = pool.nextDue(now) ?? this.#freezeIfReady(now);
        if (batch === null) break;
        this.#launch(batch);
      }
    }
    if (drain.closing && this.#closeCannotProgress(now)) {
      drain.expire(M.deadlineUnreachable());
      return;
    }
    this.#armWakeTimer(now);
  }

  /** Puts a batch on the wire; when its request is over a slot is free, so the pump runs again. */
  #launch(batch: FrozenBatch): void {
    void this.#sender.send(batch).then(() => this.pump());
  }

  /** The deadline: requests in flight are abandoned (their failures are not retried). */
  abortRequests(): void {
    this.#sender.abort();
  }

  /** The engine finished: no timer may hold the process or wake a finished engine. */
  stop(): void {
    if (this.#wakeTimer !== null) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = null;
  }

  /** Below the adaptive limit of active requests, and below the cap on open ones. */
  #hasFreeSlot(now: number): boolean {
    const pool = this.#pool;
    const concurrency = this.#concurrency;
    return (
      pool.inFlight < this.#maxOpen &&
      pool.activeInFlight(now - concurrency.slowAfterMs(this.#slowCapMs)) < concurrency.limit
    );
  }

  /** Few enough batches back off that new ones may be frozen from the queue. */
  #mayFreeze(): boolean {
    return this.#pool.backingOffCount() < this.#maxBackingOff;
  }

  /** While halted, one batch at a time tests whether Spotzee accepts requests again. */
  #probe(now: number): void {
    // Held batches first; a probe that failed without an answer left its batch waiting, so take those too.
    let batch = this.#pool.probeCandidate();
    if (batch === null && this.#queue.size > 0) batch = this.#take(now);
    if (batch === null) return;
    this.#gate.probeSent(now);
    this.#launch(batch);
  }

  /** Freezes the next batch from the queue when it is due; null when it should wait. */
  #freezeIfReady(now: number): FrozenBatch | null {
    const queue = this.#queue;
    const head = queue.peek();
    if (head === undefined || this.#taking || now < this.#takeBlockedUntil) return null;
    if (!this.#mayFreeze()) return null;
    const forced = this.drain.closing || head.seq <= this.#forceSeq;
    if (!forced) {
      if (!this.#started) return null;
      const { maxBatchEvents, maxBatchBytes, flushIntervalMs } = this.#options;
      const full = queue.size >= maxBatchEvents || bodyBytes(queue.size, queue.bytes) >= maxBatchBytes;
      if (!full && head.enqueuedAt + flushIntervalMs > now) return null;
    }
    return this.#take(now);
  }

  /**
   * A batch of the oldest queued events. A store that answers later gets its batch frozen then, and the
   * pump runs again; null meanwhile. Nothing a store does here can throw into the pump.
   */
  #take(now: number): FrozenBatch | null {
    if (this.#taking || now < this.#takeBlockedUntil) return null;
    let taken: MaybePromise<QueuedEvent[]>;
    try {
      taken = this.#pool.take();
    } catch (error) {
      this.#takeFailed(error);
      return null;
    }
    if (!isPromiseLike(taken)) return this.#pool.adopt(taken, now);
    this.#taking = true;
    taken.then(
      (entries) => {
        this.#taking = false;
        if (this.drain.finished) {
          // Handed over after the deadline settled everything else: these are the last leftovers.
          for (const entry of entries) {
            this.#ledger.drop(entry, 'shutdown_deadline', M.dropAtDeadline(M.deadlinePassed()));
          }
          return;
        }
        this.#pool.adopt(entries, Date.now());
        this.requestPump();
      },
      (error: unknown) => {
        this.#taking = false;
        this.#takeFailed(error);
      },
    );
    return null;
  }

  #takeFailed(error: unknown): void {
    this.#takeBlockedUntil = Date.now() + TAKE_RETRY_MS;
    this.#problems.storeFailed('take', error);
    this.requestPump();
  }

  /** Closing, with nothing in flight: true when the next possible send falls after the deadline. */
  #closeCannotProgress(now: number): boolean {
    const pool = this.#pool;
    const gate = this.#gate;
    if (pool.inFlight > 0 || this.#taking || this.#ledger.pending === 0) return false;
    let next: number;
    if (gate.halted) next = gate.nextProbeAt;
    else {
      next = this.#queue.size > 0 && this.#mayFreeze() ? Math.max(now, this.#takeBlockedUntil) : Infinity;
      next = Math.min(next, pool.nextWaitingAt());
      next = Math.max(next, gate.pausedUntil);
    }
    return next > this.drain.deadlineAt;
  }

  #armWakeTimer(now: number): void {
    const pool = this.#pool;
    const gate = this.#gate;
    const closing = this.drain.closing;
    let at = Infinity;
    let headArmed = false;
    if (gate.halted) {
      if (pool.inFlight === 0 && this.#ledger.pending > 0) at = gate.nextProbeAt;
    } else if (this.#hasFreeSlot(now)) {
      // With every slot taken, only a completion (each one runs the pump) or a request turning slow can
      // make progress: a timer for work that is already due would just spin.
      at = pool.nextWaitingAt();
      const head = this.#queue.peek();
      // A take under way runs the pump when it is done.
      if (
        head !== undefined &&
        !this.#taking &&
        this.#mayFreeze() &&
        (this.#started || closing || head.seq <= this.#forceSeq)
      ) {
        const due = head.seq <= this.#forceSeq || closing ? now : head.enqueuedAt + this.#options.flushIntervalMs;
        at = Math.min(at, Math.max(due, this.#takeBlockedUntil));
        headArmed = true;
      }
      if (at !== Infinity) at = Math.max(at, gate.pausedUntil);
    } else if (pool.inFlight < this.#maxOpen) {
      at = Math.max(pool.nextSlowAt(this.#concurrency.slowAfterMs(this.#slowCapMs), now), gate.pausedUntil);
    }
    this.#headArmed = headArmed;
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
      { keepAlive },
    );
  }
}
