import type { BatchPool } from '../queue/batch-pool.js';
import { DeliveryMessages as M } from '../delivery.messages.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { DeliveryTransport } from './delivery-transport.js';
import { detachedTimeout } from './detached-scope.js';
import type { EngineLog } from '../ledger/engine-log.js';
import { isPromiseLike } from '../queue/event-queue-store.js';
import type { EventQueueStore } from '../queue/event-queue-store.js';
import type { FlushWaiters } from '../ledger/flush-waiters.js';
import type { OutcomeLedger } from '../ledger/outcome-ledger.js';
import type { OutcomeLog } from '../ledger/outcome-log.js';
import type { SendScheduler } from './send-scheduler.js';
import type { ResolvedDeliveryOptions } from '../resolve-delivery-options.js';

export interface CloseOptions {
  /** Overrides `shutdownDeadlineMs` for this call. */
  deadlineMs?: number;
}

/** What `close()` settled, counted from the moment it was called. */
export interface CloseReport {
  delivered: number;
  rejected: number;
  dropped: number;
  durationMs: number;
  /** True when events were still pending at the deadline (or could not be sent before it). */
  timedOut: boolean;
  /**
   * Events a durable store keeps for the next start (or another replica) instead of dropping them at
   * the deadline: still pending, never lost. Always 0 with the memory store.
   */
  kept: number;
}

export interface ShutdownDrainDeps {
  options: Readonly<ResolvedDeliveryOptions>;
  queue: EventQueueStore;
  pool: BatchPool;
  ledger: OutcomeLedger;
  gate: DeliveryGate;
  waiters: FlushWaiters;
  outcomeLog: OutcomeLog;
  transport: DeliveryTransport;
  log: EngineLog;
  /** What sends: the drain runs its pump, stops its timer when finished, aborts its requests at the deadline. */
  scheduler: SendScheduler;
}

/**
 * The engine's end: `close()` stops intake and lets sending run until every event has an outcome or the
 * deadline passes. At the deadline, or as soon as nothing left could be sent before it, requests in
 * flight are aborted and every event left is dropped as `shutdown_deadline`: reported, never abandoned.
 */
export class ShutdownDrain {
  #closing = false;
  #finished = false;
  #deadlineAt = Infinity;
  #deadlineTimer: NodeJS.Timeout | null = null;
  #closePromise: Promise<CloseReport> | null = null;
  #closeDone: ((timedOut: boolean) => void) | null = null;
  #kept = 0;

  readonly #options: Readonly<ResolvedDeliveryOptions>;
  readonly #queue: EventQueueStore;
  readonly #pool: BatchPool;
  readonly #ledger: OutcomeLedger;
  readonly #gate: DeliveryGate;
  readonly #waiters: FlushWaiters;
  readonly #outcomeLog: OutcomeLog;
  readonly #transport: DeliveryTransport;
  readonly #log: EngineLog;
  readonly #scheduler: SendScheduler;

  constructor(deps: ShutdownDrainDeps) {
    this.#options = deps.options;
    this.#queue = deps.queue;
    this.#pool = deps.pool;
    this.#ledger = deps.ledger;
    this.#gate = deps.gate;
    this.#waiters = deps.waiters;
    this.#outcomeLog = deps.outcomeLog;
    this.#transport = deps.transport;
    this.#log = deps.log;
    this.#scheduler = deps.scheduler;
  }

  /** Intake is closed; sending goes on until the drain finishes. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Every event has its outcome and the transport is closing: nothing runs any more. */
  get finished(): boolean {
    return this.#finished;
  }

  get deadlineAt(): number {
    return this.#deadlineAt;
  }

  close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.#closePromise !== null) return this.#closePromise;
    const requested = options?.deadlineMs;
    const deadlineMs =
      typeof requested === 'number' && Number.isFinite(requested) && requested >= 0
        ? requested
        : this.#options.shutdownDeadlineMs;
    const startedAt = Date.now();
    const ledger = this.#ledger;
    const before = { delivered: ledger.delivered, rejected: ledger.rejected, dropped: ledger.dropped };
    this.#closing = true;
    // Nothing can be queued from now on: events still being validated by an integration are reported.
    ledger.dropReservations(M.dropStillValidating());
    // The drain ends as soon as the last event has an outcome.
    ledger.onDrained = () => this.#finish(false);
    this.#deadlineAt = startedAt + deadlineMs;
    this.#gate.probeNow(startedAt);
    this.#closePromise = new Promise<boolean>((resolve) => {
      this.#closeDone = resolve;
      this.#deadlineTimer = detachedTimeout(() => this.expire(M.deadlinePassed()), deadlineMs, { keepAlive: true });
      if (ledger.pending === 0) this.#finish(false);
      else this.#scheduler.requestPump();
    }).then((timedOut) => {
      const report: CloseReport = {
        delivered: ledger.delivered - before.delivered,
        rejected: ledger.rejected - before.rejected,
        dropped: ledger.dropped - before.dropped,
        durationMs: Date.now() - startedAt,
        timedOut,
        kept: this.#kept,
      };
      this.#log.write(timedOut && report.kept === 0 ? 'error' : 'log', M.drained(report, ledger, this.#options.dryRun));
      if (report.kept > 0) this.#log.write('warn', M.keptInStore(report.kept));
      return report;
    });
    return this.#closePromise;
  }

  /** The deadline (or a wait that cannot fit before it): abort requests, drop what is left, finish. */
  expire(why: string): void {
    if (this.#finished) return;
    const ledger = this.#ledger;
    // Everything left is about to be dropped: that is not the drain completing.
    ledger.onDrained = null;
    this.#scheduler.abortRequests();
    const gate = this.#gate;
    const reason = gate.halted
      ? M.deadlineWhileHalted(why)
      : gate.pausedUntil > Date.now()
        ? M.deadlineWhileRateLimited(why)
        : why;
    if (this.#queue.durable) {
      // A durable store holds what is left: the next start (or another replica) sends it.
      this.#kept = ledger.pending;
      this.#finish(true);
      return;
    }
    for (let entry = this.#queue.shift(); entry !== undefined; entry = this.#queue.shift()) {
      ledger.drop(entry, 'shutdown_deadline', M.dropAtDeadline(reason));
    }
    for (const batch of this.#pool.snapshot()) {
      this.#pool.settle(batch);
      for (const entry of batch.entries) {
        ledger.drop(entry, 'shutdown_deadline', M.dropAtDeadline(reason), { frozen: true });
      }
    }
    this.#finish(true);
  }

  #finish(timedOut: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#scheduler.stop();
    if (this.#deadlineTimer !== null) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = null;
    this.#outcomeLog.finish();
    this.#waiters.releaseAll();
    const done = this.#closeDone;
    this.#closeDone = null;
    this.#transport
      .close()
      .then(undefined, (error: unknown) => {
        this.#log.write('warn', M.transportClose(error instanceof Error ? error.message : String(error)));
      })
      .then(() => this.#closeStore())
      .then(() => done?.(timedOut));
  }

  /** The store releases its files or connections; a failure is logged, never thrown. */
  async #closeStore(): Promise<void> {
    try {
      const closing = this.#queue.close();
      if (isPromiseLike(closing)) await closing;
    } catch (error) {
      this.#log.write('warn', M.storeFailed('close', error instanceof Error ? error.message : String(error)));
    }
  }
}
