import { BatchPool } from './queue/batch-pool.js';
import { BatchSender } from './dispatch/batch-sender.js';
import { ConcurrencyLimit } from './dispatch/concurrency-limit.js';
import { DedupeWindow } from './queue/dedupe-window.js';
import { DeliveryMessages as M } from './delivery.messages.js';
import { DeliveryGate } from './dispatch/delivery-gate.js';
import type { DeliveryOptions } from './delivery-options.js';
import { DeliveryTransport, DryRunTransport } from './dispatch/delivery-transport.js';
import { EngineLog, ProblemLog } from './ledger/engine-log.js';
import { detachedTimeout } from './dispatch/detached-scope.js';
import { SpotzeeConfigurationError } from './errors.js';
import { EventIntake } from './queue/event-intake.js';
import { EventQueueStore, isPromiseLike } from './queue/event-queue-store.js';
import type { MaybePromise, RecoveredQueue } from './queue/event-queue-store.js';
import { FlushWaiters } from './ledger/flush-waiters.js';
import { ListenerRegistry } from './ledger/listener-registry.js';
import { MemoryEventQueue } from './queue/memory-event-queue.js';
import { summarizeInput } from './prepare/event-summary.js';
import { OutcomeLedger, type Reservation } from './ledger/outcome-ledger.js';
import { OutcomeLog } from './ledger/outcome-log.js';
import type { DeliveryEvents, DeliveryHealth, DeliveryStats, DropReason, RejectedOutcome } from './ledger/outcomes.js';
import { prepareEvent } from './prepare/prepare-event.js';
import type { PrepareResult } from './prepare/prepare-event.js';
import { createRedactor, createServerTextCleaner } from './ledger/redaction.js';
import { resolveDeliveryOptions } from './resolve-delivery-options.js';
import type { ResolvedDeliveryOptions } from './resolve-delivery-options.js';
import { ResponseHandler } from './dispatch/response-handler.js';
import { RetryPolicy } from './dispatch/retry-policy.js';
import { OPEN_REQUESTS_PER_SLOT, SendScheduler } from './dispatch/send-scheduler.js';
import { ServerRejections } from './dispatch/server-rejections.js';
import type { ShutdownDrain } from './dispatch/shutdown-drain.js';
import type { CloseOptions, CloseReport } from './dispatch/shutdown-drain.js';
import type { EventSummary, PreparedEvent, TrackInput } from './prepare/spotzee-event.js';
import { UndiciTransport } from './dispatch/undici-transport.js';

export type { CloseOptions, CloseReport } from './dispatch/shutdown-drain.js';
export type { Reservation } from './ledger/outcome-ledger.js';

export interface FlushOptions {
  /** Stop waiting after this many ms (the events keep going and keep their outcomes). Default: no limit. */
  timeoutMs?: number;
}

/** The validated `timeoutMs` of a flush; throws a configuration error that says what is expected. */
export function flushTimeout(options: FlushOptions): number | undefined {
  const timeoutMs = (options ?? {}).timeoutMs;
  if (timeoutMs === undefined) return undefined;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
    throw new SpotzeeConfigurationError('timeoutMs', M.flushTimeout(timeoutMs));
  }
  return timeoutMs;
}

export interface DeliveryEngineSeams {
  transport?: DeliveryTransport;
  queue?: EventQueueStore;
  /** [0, 1) like Math.random; tests pass a fixed one to make jitter deterministic. */
  random?: () => number;
}

/**
 * The framework-free delivery engine: validated events go into a bounded queue, leave it as frozen
 * batches over keep-alive HTTP, and each ends in exactly one outcome (delivered, rejected or dropped).
 * `captured = delivered + rejected + dropped + deduplicated + pending` holds at every moment, including inside
 * listeners. Nothing here ever throws into the caller except option validation at construction.
 *
 * This class is the public face and the wiring; each concern lives in its own collaborator:
 * `EventIntake` (dedupe, overflow), `OutcomeLedger` (counters, outcomes), `BatchPool` (frozen batches),
 * `SendScheduler` (when batches leave), `BatchSender` (the wire), `ResponseHandler` (what an answer
 * means), `DeliveryGate` (halt and rate-limit pauses) and `ShutdownDrain` (close and its deadline).
 */
export class DeliveryEngine {
  readonly options: Readonly<ResolvedDeliveryOptions>;

  readonly #listeners: ListenerRegistry;
  readonly #queue: EventQueueStore;
  readonly #pool: BatchPool;
  readonly #waiters = new FlushWaiters();
  readonly #ledger: OutcomeLedger;
  readonly #intake: EventIntake;
  readonly #gate: DeliveryGate;
  readonly #sender: BatchSender;
  readonly #scheduler: SendScheduler;
  readonly #drain: ShutdownDrain;
  readonly #dedupe: DedupeWindow;
  readonly #problems: ProblemLog;

  constructor(options: DeliveryOptions, seams: DeliveryEngineSeams = {}) {
    const redact = createRedactor(typeof options?.apiKey === 'string' ? options.apiKey : undefined);
    try {
      this.options = Object.freeze(resolveDeliveryOptions(options));
    } catch (error) {
      // Messages are written key-free, but scrub them anyway in case a caller's value echoes the key.
      if (error instanceof Error) error.message = redact(error.message);
      throw error;
    }
    const resolved = this.options;
    const log = new EngineLog(redact, resolved.logger);
    const apiKey = resolved.hasApiKey ? (options.apiKey as string) : '';
    const random = seams.random ?? Math.random;
    const queue = (this.#queue = seams.queue ?? new MemoryEventQueue());
    const dedupe = (this.#dedupe = new DedupeWindow(resolved.dedupeWindowMs, resolved.dedupeMaxKeys));
    const url = `${resolved.baseUrl}/events`;
    const transport =
      seams.transport ??
      (resolved.dryRun
        ? new DryRunTransport()
        : new UndiciTransport({
            baseUrl: resolved.baseUrl,
            connectTimeoutMs: resolved.requestTimeoutMs,
            // Slow requests stop counting against maxInFlight (see SendScheduler), so allow their sockets.
            connections: resolved.maxInFlight * OPEN_REQUESTS_PER_SLOT,
          }));
    // Built in the order events meet them: the ledger first (everything reports to it), the gate and
    // the answers it acts on, the sender, then the scheduler (which builds the shutdown drain) and the intake.
    const problems = (this.#problems = new ProblemLog(log));
    const listeners = (this.#listeners = new ListenerRegistry(problems));
    const waiters = this.#waiters;
    const pool = (this.#pool = new BatchPool(resolved, queue, problems));
    const concurrency = new ConcurrencyLimit(resolved.maxInFlight);
    const outcomeLog = new OutcomeLog(log, resolved);
    const ledger = (this.#ledger = new OutcomeLedger({ pool, waiters, listeners, dedupe, outcomeLog, redact }));
    const gate = (this.#gate = new DeliveryGate({
      options: resolved,
      url,
      pool,
      waiters,
      log,
      random,
      listeners,
      ledger,
      queue,
    }));
    const responses = new ResponseHandler({
      options: resolved,
      clean: createServerTextCleaner(redact),
      ledger,
      pool,
      gate,
      concurrency,
      retries: new RetryPolicy({ options: resolved, ledger, pool, gate, log, random }),
      rejections: new ServerRejections({ ledger, pool, gate, log }),
      listeners,
      log,
    });
    const sender = (this.#sender = new BatchSender({
      options: resolved,
      url,
      apiKey,
      transport,
      pool,
      concurrency,
      responses,
      log,
    }));
    const scheduler = (this.#scheduler = new SendScheduler({
      options: resolved,
      queue,
      pool,
      ledger,
      gate,
      waiters,
      concurrency,
      sender,
      problems,
      outcomeLog,
      transport,
      log,
    }));
    const drain = (this.#drain = scheduler.drain);
    this.#intake = new EventIntake({ options: resolved, queue, pool, ledger, dedupe, listeners, drain });

    if (apiKey !== '' && !apiKey.startsWith('sk_')) {
      log.write('warn', M.keyShape());
    }
    queue.attach({
      adopt: (found) => this.#adopt(found),
      wake: () => scheduler.requestPump(),
      duplicate: (entry) => {
        const key = entry.event.idempotencyKey ?? '';
        ledger.deduplicate(entry, key, M.alreadyCaptured(key, { byAnotherInstance: true }));
      },
      log: (level, message) => log.write(level, message),
    });
    this.#recover();
  }

  /** What a previous process left in the store: queued events, and batches resent under their own key. */
  #recover(): void {
    let recovered: MaybePromise<RecoveredQueue>;
    try {
      recovered = this.#queue.recover();
    } catch (error) {
      // A store that can never work (an unwritable directory, a directory another process holds) fails the start-up.
      if (error instanceof SpotzeeConfigurationError) throw error;
      this.#problems.storeFailed('recover', error);
      return;
    }
    if (!isPromiseLike(recovered)) {
      this.#adopt(recovered);
      return;
    }
    recovered.then(
      (queue) => this.#adopt(queue),
      (error: unknown) => this.#problems.storeFailed('recover', error),
    );
  }

  #adopt({ events, backlog, batches }: RecoveredQueue): void {
    const held = backlog?.count ?? 0;
    if (this.#drain.finished || (events.length === 0 && held === 0 && batches.length === 0)) return;
    this.#intake.recovered(events);
    if (backlog !== undefined) this.#intake.recoveredBacklog(backlog.count, backlog.lastSeq);
    const now = Date.now();
    for (const stored of batches) {
      this.#intake.recovered(stored.entries);
      this.#pool.restore(stored, now);
    }
    this.#scheduler.requestPump();
  }

  /**
   * Starts automatic sending: full batches at once, partial ones `flushIntervalMs` after their first
   * event. Before it, events queue (an app's bootstrap), and only `flush()`/`close()` send. Idempotent.
   */
  start(): void {
    if (this.#scheduler.started || this.#drain.closing) return;
    this.#scheduler.start();
  }

  /**
   * Counts and reports an event refused before `prepare` could see it (an integration's mapper threw,
   * a schema failed), exactly like a capture-time rejection: listeners, redaction, throttled log line.
   */
  reject(rejection: RejectedOutcome): void {
    this.#ledger.rejectAtCapture(rejection);
  }

  /**
   * Counts an event as captured and pending before it can be prepared (an integration still validates
   * it asynchronously), so `stats()` and the invariant see it from the call. End it with `release()`
   * then the ordinary path (`prepare`/`commit`/`reject`); `close()` drops reservations still open.
   */
  reserve(event: EventSummary): Reservation {
    return this.#ledger.reserve(event);
  }

  /** Uncounts a reservation right before its event takes the ordinary path; false if `close()` dropped it. */
  release(reservation: Reservation): boolean {
    return this.#ledger.release(reservation);
  }

  /**
   * Counts and announces events held by a request that failed (commit-on-success): never captured, so
   * outside the invariant, but visible as `stats().discarded`, `discarded` listeners and a debug line.
   */
  discard(events: readonly PreparedEvent[], reason: string): void {
    if (!Array.isArray(events) || events.length === 0) return;
    this.#ledger.discard(events, reason, M.discarded(events.length, reason));
  }

  /** Counts and drops a prepared event that must not be queued (an integration's bound). Never throws. */
  drop(event: PreparedEvent, reason: DropReason, why: string): void {
    this.#intake.refuse(event, reason, why, Date.now());
  }

  /** Forgets every remembered idempotency key (a test recorder's `clear()`). */
  forgetIdempotencyKeys(): void {
    this.#dedupe.clear();
  }

  /** Validates, stamps and serialises one event; a rejection is counted, reported and logged. */
  prepare(input: TrackInput): PrepareResult {
    return this.#prepare(input, Date.now());
  }

  /** Enqueues prepared events (dedupe, overflow policy, `captured` listeners). Never throws. */
  commit(events: readonly PreparedEvent[]): void {
    if (!Array.isArray(events)) return;
    const now = Date.now();
    const intake = this.#intake;
    for (const event of events) {
      if (event === null || typeof event !== 'object' || typeof event.json !== 'string') continue;
      intake.admit(event, now);
    }
    if (this.#queue.size > 0) this.#scheduler.requestPump();
  }

  /**
   * `prepare` + `commit` of one event: what tracking outside a request does. One clock read serves
   * both, and the event goes straight to the intake, without a one-element array.
   */
  capture(input: TrackInput): PrepareResult {
    const now = Date.now();
    if (this.#intake.refusesNewest) {
      // Decided before serialising: a full queue must not make every refused event pay for JSON.
      const event = unpreparedEvent(input, now);
      this.#intake.refuse(event, 'queue_full', M.dropQueueFull('drop-newest'), now);
      return { ok: true, event };
    }
    const result = this.#prepare(input, now);
    if (result.ok) {
      this.#intake.admit(result.event, now);
      if (this.#queue.size > 0) this.#scheduler.requestPump();
    }
    return result;
  }

  /**
   * Resolves once every event committed before the call has an outcome, retries included. Sends at
   * once, even before `start()`. While the engine is halted by a refused key it resolves without
   * waiting for events that cannot be sent; with `timeoutMs` it stops waiting at that deadline (the
   * events keep going). Resolves `true` when every awaited event got its outcome, `false` when it
   * returned early (halt, deadline). Never rejects; throws only for an invalid `timeoutMs`.
   */
  flush(options: FlushOptions = {}): Promise<boolean> {
    const timeoutMs = flushTimeout(options);
    const pending = this.#ledger.pending;
    if (pending === 0) return Promise.resolve(true);
    if (this.#drain.finished || this.#gate.halted) return Promise.resolve(false);
    const target = this.#intake.seq;
    this.#scheduler.forceThrough(target);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const done = (settledAll: boolean): void => {
        if (timer !== null) clearTimeout(timer);
        resolve(settledAll);
      };
      this.#waiters.add(target, pending, done);
      if (timeoutMs !== undefined) {
        timer = detachedTimeout(() => this.#waiters.release(done), timeoutMs, { keepAlive: true });
      }
      this.#scheduler.requestPump();
    });
  }

  /**
   * Stops intake and drains: queued events, waiting retries and rate-limit pauses that end before the
   * deadline. At the deadline in-flight requests are aborted and every event left is reported dropped
   * (`shutdown_deadline`). Idempotent: later calls return the same report.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    return this.#drain.close(options);
  }

  stats(): DeliveryStats {
    const ledger = this.#ledger;
    const pool = this.#pool;
    const pending = ledger.pending;
    const store = this.#queue.status();
    return {
      captured: ledger.captured,
      delivered: ledger.delivered,
      rejected: ledger.rejected,
      dropped: ledger.dropped,
      deduplicated: ledger.deduplicated,
      pending: pending + ledger.validating,
      discarded: ledger.discarded,
      // From the structures, not the counters: tests hold one against the other.
      queuedEvents: this.#queue.size + pool.events - pool.inFlightEvents,
      queuedBytes: this.#queue.bytes + pool.bytes,
      inFlightRequests: pool.inFlight,
      requests: this.#sender.requests,
      retries: this.#sender.retries,
      rateLimited: this.#gate.rateLimited,
      healthy: !this.#gate.halted && store.up,
      halted: this.#gate.halted,
      store,
    };
  }

  health(): DeliveryHealth {
    return this.#gate.health();
  }

  on<K extends keyof DeliveryEvents>(type: K, listener: DeliveryEvents[K]): () => void {
    return this.#listeners.on(type, listener);
  }

  #prepare(input: TrackInput, now: number): PrepareResult {
    const result = prepareEvent(input, this.options, now);
    if (!result.ok) this.#ledger.rejectAtCapture(result.rejection);
    return result;
  }
}

/** What a drop reports about an event refused before it was serialised: its summary, no body. */
function unpreparedEvent(input: TrackInput, now: number): PreparedEvent {
  return { source: undefined, ...summarizeInput(input, now), json: '', bytes: 0 };
}
