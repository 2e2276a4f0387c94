import { rateLimitPauseMs, retryDelayMs, parseRetryAfterMs } from './backoff.js';
import { bodyBytes } from './batch-key.js';
import { BatchPool } from './batch-pool.js';
import { DedupeWindow } from './dedupe-window.js';
import { DeliveryMessages as M } from './delivery.messages.js';
import type { DeliveryOptions } from './delivery-options.js';
import { DeliveryTransport } from './delivery-transport.js';
import type { TransportResponse } from './delivery-transport.js';
import { detachedImmediate, detachedTimeout } from './detached-scope.js';
import { DryRunTransport } from './dry-run-transport.js';
import { EventQueueStore } from './event-queue-store.js';
import type { QueuedEvent } from './event-queue-store.js';
import { EngineLog } from './engine-log.js';
import { describeEvent } from './event-summary.js';
import type { FrozenBatch } from './frozen-batch.js';
import { FlushWaiters } from './flush-waiters.js';
import { ListenerRegistry } from './listener-registry.js';
import { LogThrottle } from './log-throttle.js';
import { MemoryEventQueue } from './memory-event-queue.js';
import { OutcomeLedger } from './outcome-ledger.js';
import { OutcomeLog } from './outcome-log.js';
import type {
  BatchAttempt,
  DeliveryEvents,
  DeliveryHealth,
  DeliveryStats,
  RejectedOutcome,
  RejectionReason,
} from './outcomes.js';
import { prepareEvent } from './prepare-event.js';
import type { PrepareResult } from './prepare-event.js';
import { createRedactor } from './redaction.js';
import { resolveDeliveryOptions } from './resolve-delivery-options.js';
import type { ResolvedDeliveryOptions } from './resolve-delivery-options.js';
import { classifyResponse } from './response-classifier.js';
import type { Classification } from './response-classifier.js';
import type { PreparedEvent, TrackInput } from './spotzee-event.js';
import { parseProblem } from './spotzee-problem.js';
import type { SpotzeeItemError, SpotzeeProblem } from './spotzee-problem.js';
import { UndiciTransport } from './undici-transport.js';
import { USER_AGENT } from './version.js';

export interface DeliveryEngineSeams {
  transport?: DeliveryTransport;
  queue?: EventQueueStore;
  /** [0, 1) like Math.random; tests pass a fixed one to make jitter deterministic. */
  random?: () => number;
}

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
}

const EMPTY_PROBLEM: SpotzeeProblem = { code: null, title: null, message: null, requestId: null, param: null, errors: [] };
const REJECTION_LOG_INTERVAL_MS = 60_000;
const MAX_LOGGED_ITEMS = 5;
const FAILURE_LOG_INTERVAL_MS = 10_000;


/**
 * The framework-free delivery engine: validated events go into a bounded queue, leave it as frozen
 * batches over keep-alive HTTP, and each ends in exactly one outcome (delivered, rejected or dropped).
 * `captured = delivered + rejected + dropped + pending` holds at every moment, including inside
 * listeners. Nothing here ever throws into the caller except option validation at construction.
 */
export class DeliveryEngine {
  readonly options: Readonly<ResolvedDeliveryOptions>;

  readonly #apiKey: string;
  readonly #log: EngineLog;
  readonly #transport: DeliveryTransport;
  readonly #queue: EventQueueStore;
  readonly #random: () => number;
  readonly #dedupe: DedupeWindow;
  readonly #listeners: ListenerRegistry;
  readonly #listenerErrorLog = new LogThrottle(REJECTION_LOG_INTERVAL_MS);
  /** During an outage every batch fails the same way: one line per kind of failure per window. */
  readonly #failureLog = new LogThrottle(FAILURE_LOG_INTERVAL_MS);
  readonly #outcomeLog: OutcomeLog;
  readonly #pool: BatchPool;
  readonly #waiters = new FlushWaiters();
  readonly #ledger: OutcomeLedger;
  readonly #url: string;
  readonly #baseHeaders: Readonly<Record<string, string>>;
  readonly #abort = new AbortController();

  #requests = 0;
  #retries = 0;
  #rateLimited = 0;

  #seq = 0;
  /** Events up to this sequence number leave as partial batches without waiting for the interval. */
  #forceSeq = 0;

  #started = false;
  #closing = false;
  #finished = false;
  #closePromise: Promise<CloseReport> | null = null;
  #closeDone: ((timedOut: boolean) => void) | null = null;
  #deadlineAt = Infinity;
  #deadlineTimer: NodeJS.Timeout | null = null;

  #halted = false;
  #nextProbeAt = 0;
  #pausedUntil = 0;
  #consecutivePauses = 0;
  #lastError: DeliveryHealth['lastError'] = null;

  #wakeTimer: NodeJS.Timeout | null = null;
  #wakeAt = Infinity;
  #wakeKeepsAlive = false;
  #pumpScheduled = false;

  constructor(options: DeliveryOptions, seams: DeliveryEngineSeams = {}) {
    const redact = createRedactor(typeof options?.apiKey === 'string' ? options.apiKey : undefined);
    try {
      this.options = Object.freeze(resolveDeliveryOptions(options));
    } catch (error) {
      // Messages are written key-free, but scrub them anyway in case a caller's value echoes the key.
      if (error instanceof Error) error.message = redact(error.message);
      throw error;
    }
    this.#log = new EngineLog(redact, this.options.logger);
    this.#apiKey = this.options.hasApiKey ? (options.apiKey as string) : '';
    this.#random = seams.random ?? Math.random;
    this.#queue = seams.queue ?? new MemoryEventQueue();
    this.#dedupe = new DedupeWindow(this.options.dedupeWindowMs, this.options.dedupeMaxKeys);
    this.#url = `${this.options.baseUrl}/events`;
    this.#transport =
      seams.transport ??
      (this.options.dryRun
        ? new DryRunTransport()
        : new UndiciTransport({ baseUrl: this.options.baseUrl, connectTimeoutMs: this.options.requestTimeoutMs, connections: this.options.maxInFlight }));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'spotzee-version': this.options.apiVersion,
      'user-agent': USER_AGENT,
    };
    if (this.#apiKey !== '') headers.authorization = `Bearer ${this.#apiKey}`;
    this.#baseHeaders = Object.freeze(headers);
    this.#listeners = new ListenerRegistry((type, error) => {
      const detail = error instanceof Error ? error.message : String(error);
      const line = this.#listenerErrorLog.admit(type, M.listenerThrew(type, detail));
      if (line !== null) this.#log.write('error', line);
    });
    this.#pool = new BatchPool(this.options);
    this.#outcomeLog = new OutcomeLog(this.#log, this.options);
    this.#ledger = new OutcomeLedger({
      queue: this.#queue,
      pool: this.#pool,
      waiters: this.#waiters,
      listeners: this.#listeners,
      dedupe: this.#dedupe,
      outcomeLog: this.#outcomeLog,
      redact,
    });
    if (this.#apiKey !== '' && !this.#apiKey.startsWith('sk_')) {
      this.#log.write('warn', M.keyShape());
    }
  }

  /**
   * Starts automatic sending: full batches at once, partial ones `flushIntervalMs` after their first
   * event. Before it, events queue (an app's bootstrap), and only `flush()`/`close()` send. Idempotent.
   */
  start(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    this.#requestPump();
  }

  /** Validates, stamps and serialises one event; a rejection is counted, reported and logged. */
  prepare(input: TrackInput): PrepareResult {
    const result = prepareEvent(input, this.options);
    if (!result.ok) this.#ledger.rejectAtCapture(result.rejection);
    return result;
  }

  /** Enqueues prepared events (dedupe, overflow policy, `captured` listeners). Never throws. */
  commit(events: readonly PreparedEvent[]): void {
    if (!Array.isArray(events)) return;
    const now = Date.now();
    for (const event of events) {
      if (event === null || typeof event !== 'object' || typeof event.json !== 'string') continue;
      this.#commitOne(event, now);
    }
    if (this.#queue.size > 0) this.#requestPump();
  }

  /** `prepare` + `commit` of one event: what tracking outside a request does. */
  capture(input: TrackInput): PrepareResult {
    const result = this.prepare(input);
    if (result.ok) this.commit([result.event]);
    return result;
  }

  /**
   * Resolves once every event committed before the call has an outcome, retries included. Sends at
   * once, even before `start()`. While the engine is halted by a refused key it resolves without
   * waiting for events that cannot be sent. Never rejects.
   */
  flush(): Promise<void> {
    const pending = this.#ledger.pending;
    if (this.#finished || this.#halted || pending === 0) return Promise.resolve();
    this.#forceSeq = this.#seq;
    return new Promise<void>((resolve) => {
      this.#waiters.add(this.#seq, pending, resolve);
      this.#requestPump();
    });
  }

  /**
   * Stops intake and drains: queued events, waiting retries and rate-limit pauses that end before the
   * deadline. At the deadline in-flight requests are aborted and every event left is reported dropped
   * (`shutdown_deadline`). Idempotent: later calls return the same report.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    if (this.#closePromise !== null) return this.#closePromise;
    const requested = options?.deadlineMs;
    const deadlineMs = typeof requested === 'number' && Number.isFinite(requested) && requested >= 0 ? requested : this.options.shutdownDeadlineMs;
    const startedAt = Date.now();
    const ledger = this.#ledger;
    const before = { delivered: ledger.delivered, rejected: ledger.rejected, dropped: ledger.dropped };
    this.#closing = true;
    // While closing, the drain ends as soon as the last event has an outcome.
    ledger.onDrained = () => this.#finish(false);
    this.#forceSeq = Infinity;
    this.#deadlineAt = startedAt + deadlineMs;
    // A refused key may have been fixed server-side since the last probe: try once more right away.
    if (this.#halted) this.#nextProbeAt = startedAt;
    this.#closePromise = new Promise<boolean>((resolve) => {
      this.#closeDone = resolve;
      this.#deadlineTimer = detachedTimeout(() => this.#expire('the shutdown deadline passed'), deadlineMs, true);
      if (this.#ledger.pending === 0) this.#finish(false);
      else this.#requestPump();
    }).then((timedOut) => {
      const report: CloseReport = {
        delivered: ledger.delivered - before.delivered,
        rejected: ledger.rejected - before.rejected,
        dropped: ledger.dropped - before.dropped,
        durationMs: Date.now() - startedAt,
        timedOut,
      };
      this.#log.write(timedOut ? 'error' : 'log', M.drained(report.durationMs, report.delivered, report.rejected, report.dropped, timedOut));
      return report;
    });
    return this.#closePromise;
  }

  stats(): DeliveryStats {
    const pending = this.#ledger.pending;
    return {
      captured: this.#ledger.captured,
      delivered: this.#ledger.delivered,
      rejected: this.#ledger.rejected,
      dropped: this.#ledger.dropped,
      pending,
      duplicates: this.#ledger.duplicates,
      queuedEvents: pending - this.#pool.inFlightEvents,
      queuedBytes: this.#queue.bytes + this.#pool.bytes,
      inFlightRequests: this.#pool.inFlight,
      requests: this.#requests,
      retries: this.#retries,
      rateLimited: this.#rateLimited,
      healthy: !this.#halted,
      halted: this.#halted,
    };
  }

  health(): DeliveryHealth {
    return {
      healthy: !this.#halted,
      halted: this.#halted,
      lastError: this.#lastError === null ? null : { ...this.#lastError },
      queueDepth: this.#ledger.pending,
    };
  }

  on<K extends keyof DeliveryEvents>(type: K, listener: DeliveryEvents[K]): () => void {
    return this.#listeners.on(type, listener);
  }

  // ---- intake -------------------------------------------------------------------------------

  #commitOne(event: PreparedEvent, now: number): void {
    const ledger = this.#ledger;
    const entry: QueuedEvent = { event, seq: ++this.#seq, enqueuedAt: now };
    if (this.#closing) {
      ledger.countCaptured();
      ledger.drop(entry, 'closed', `not queued: the Spotzee engine is shut down.`);
      return;
    }
    if (event.idempotencyKey !== null && this.#dedupe.seen(event.idempotencyKey, now)) {
      ledger.countCaptured();
      ledger.countDuplicate();
      ledger.drop(entry, 'duplicate', `not sent again: idempotencyKey "${event.idempotencyKey}" was already captured within the dedupe window.`, false);
      return;
    }
    // Room is made before the new event counts as captured: listeners of the evicted events must see
    // the invariant hold, and the new event is not pending yet.
    const fits = this.#makeRoom(event.bytes);
    ledger.countCaptured();
    if (!fits) {
      ledger.drop(entry, 'queue_full', `not queued: the queue is full (overflow policy ${this.options.overflow}).`);
      return;
    }
    this.#queue.push(entry);
    this.#listeners.emit('captured', event);
  }

  /** Applies the overflow policy; false when the new event must go. */
  #makeRoom(bytes: number): boolean {
    if (this.#fits(bytes)) return true;
    if (this.options.overflow === 'drop-newest') return false;
    // Frozen batches cannot shed events without changing their bytes, so only the unbatched queue is trimmed.
    while (!this.#fits(bytes) && this.#queue.size > 0) {
      const oldest = this.#queue.shift()!;
      this.#ledger.drop(oldest, 'queue_full', `dropped to make room for newer events: the queue is full (overflow policy drop-oldest).`);
    }
    return this.#fits(bytes);
  }

  #fits(bytes: number): boolean {
    return this.#ledger.pending + 1 <= this.options.maxQueueEvents && this.#queue.bytes + this.#pool.bytes + bytes <= this.options.maxQueueBytes;
  }

  // ---- scheduling ---------------------------------------------------------------------------

  /** Always runs the pump from the detached scope, never inside the caller's async context. */
  #requestPump(): void {
    if (this.#pumpScheduled || this.#finished) return;
    this.#pumpScheduled = true;
    detachedImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#finished) return;
    const now = Date.now();
    if (this.#halted) {
      if (this.#pool.inFlight === 0 && now >= this.#nextProbeAt) this.#probe(now);
    } else if (now >= this.#pausedUntil) {
      while (this.#pool.inFlight < this.options.maxInFlight) {
        const batch = this.#pool.nextDue(now) ?? this.#freezeIfReady(now);
        if (batch === null) break;
        this.#send(batch);
      }
    }
    if (this.#closing && this.#closeCannotProgress(now)) {
      this.#expire('nothing more could be sent before the shutdown deadline');
      return;
    }
    this.#armWakeTimer(now);
  }

  /** Freezes the next batch from the queue when it is due; null when it should wait. */
  #freezeIfReady(now: number): FrozenBatch | null {
    const head = this.#queue.peek();
    if (head === undefined) return null;
    // While a batch backs off after a transient failure, new batches wait too: no point stacking
    // requests onto a struggling server, and unfrozen events can still be trimmed by drop-oldest.
    if (this.#pool.isBackingOff()) return null;
    const forced = this.#closing || head.seq <= this.#forceSeq;
    if (!forced) {
      if (!this.#started) return null;
      const full =
        this.#queue.size >= this.options.maxBatchEvents || bodyBytes(this.#queue.size, this.#queue.bytes) >= this.options.maxBatchBytes;
      if (!full && head.enqueuedAt + this.options.flushIntervalMs > now) return null;
    }
    return this.#pool.freeze(this.#queue, now);
  }

  #closeCannotProgress(now: number): boolean {
    if (this.#pool.inFlight > 0 || this.#ledger.pending === 0) return false;
    let next: number;
    if (this.#halted) next = this.#nextProbeAt;
    else {
      next = this.#queue.size > 0 && !this.#pool.isBackingOff() ? now : Infinity;
      next = Math.min(next, this.#pool.nextWaitingAt());
      next = Math.max(next, this.#pausedUntil);
    }
    return next > this.#deadlineAt;
  }

  #armWakeTimer(now: number): void {
    let at = Infinity;
    if (this.#halted) {
      if (this.#pool.inFlight === 0 && this.#ledger.pending > 0) at = this.#nextProbeAt;
    } else if (this.#pool.inFlight < this.options.maxInFlight) {
      // With every slot taken, only a completion can make progress, and each one runs the pump: a timer
      // for work that is already due would just spin.
      at = this.#pool.nextWaitingAt();
      const head = this.#queue.peek();
      if (head !== undefined && !this.#pool.isBackingOff() && (this.#started || this.#closing || head.seq <= this.#forceSeq)) {
        at = Math.min(at, head.seq <= this.#forceSeq || this.#closing ? now : head.enqueuedAt + this.options.flushIntervalMs);
      }
      if (at !== Infinity) at = Math.max(at, this.#pausedUntil);
    }
    // Only keep the process alive while someone awaits flush() or close(); otherwise never hold it open.
    const keepAlive = this.#closing || this.#waiters.size > 0;
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
        this.#pump();
      },
      Math.max(at - Date.now(), 1),
      keepAlive,
    );
  }

  // ---- sending ------------------------------------------------------------------------------

  #probe(now: number): void {
    // Held batches first; a probe that failed without an answer left its batch waiting, so take those too.
    let batch = this.#pool.probeCandidate();
    if (batch === null && this.#queue.size > 0) batch = this.#pool.freeze(this.#queue, now);
    if (batch === null) return;
    this.#nextProbeAt = now + this.options.haltProbeIntervalMs;
    this.#send(batch);
  }

  #send(batch: FrozenBatch): void {
    this.#pool.launch(batch);
    this.#requests += 1;
    if (batch.sends > 1) this.#retries += 1;
    if (this.options.dryRun) {
      const preview = batch.body.length > 2000 ? `${batch.body.toString('utf8', 0, 2000)}…` : batch.body.toString('utf8');
      this.#log.write('debug', M.dryRun(batch, preview));
    }
    const startedAt = Date.now();
    let request: Promise<TransportResponse>;
    try {
      request = this.#transport.send({
        url: this.#url,
        headers: { ...this.#baseHeaders, 'idempotency-key': batch.key },
        body: batch.body,
        signal: this.#abort.signal,
        timeoutMs: this.options.requestTimeoutMs,
        maxResponseBytes: this.options.maxResponseBytes,
      });
    } catch (error) {
      request = Promise.reject(error);
    }
    // Landing (leaving the in-flight count) happens before outcomes are reported, so stats read from
    // a listener or right after flush() never show a finished request as still in flight.
    let landed = false;
    const land = (): void => {
      if (landed) return;
      landed = true;
      this.#pool.land(batch);
    };
    request
      .then(
        (response) => {
          land();
          this.#onResponse(batch, response, startedAt);
        },
        (error: unknown) => {
          land();
          this.#onNoResponse(batch, error, startedAt);
        },
      )
      .catch((error: unknown) => {
        // A bug in outcome handling must not leave events in limbo or crash the process.
        this.#log.write('error', M.engineBug(batch.key, error instanceof Error ? (error.stack ?? error.message) : String(error)));
      })
      .finally(() => {
        land();
        this.#pump();
      });
  }

  #onResponse(batch: FrozenBatch, response: TransportResponse, startedAt: number): void {
    if (batch.settled) return;
    const ok = response.status >= 200 && response.status < 300;
    const problem = ok || response.truncated ? EMPTY_PROBLEM : parseProblem(response.body);
    // Even ids come from the server: scrub them like any other text we did not write.
    const rawRequestId = response.headers['x-request-id'] ?? problem.requestId;
    const requestId = rawRequestId === null || rawRequestId === undefined ? null : this.#log.redact(rawRequestId.slice(0, 200));
    const decision = classifyResponse(response.status, response.headers, problem, batch.size);
    const attempt: BatchAttempt = {
      batchKey: batch.key,
      events: batch.size,
      bytes: batch.bytes,
      attempt: batch.sends,
      status: response.status,
      requestId,
      replayed: decision.kind === 'delivered' && decision.replayed,
      decision: 'delivered',
      durationMs: Date.now() - startedAt,
    };
    if (!ok) attempt.error = this.#log.redact(this.#describeProblem(response.status, problem, requestId));
    if (this.#halted && decision.kind !== 'halt') this.#resume();
    attempt.decision = this.#act(batch, decision, response, problem, requestId);
    this.#listeners.emit('attempt', attempt);
  }

  #onNoResponse(batch: FrozenBatch, error: unknown, startedAt: number): void {
    if (batch.settled || this.#abort.signal.aborted) return;
    const code = (error as { code?: unknown } | null)?.code;
    const detail = this.#log.redact(`${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}`);
    this.#retryLater(batch, null, `no response (${detail})`, null, null);
    this.#listeners.emit('attempt', {
      batchKey: batch.key,
      events: batch.size,
      bytes: batch.bytes,
      attempt: batch.sends,
      status: null,
      requestId: null,
      replayed: false,
      decision: batch.settled ? 'dropped' : 'retry',
      durationMs: Date.now() - startedAt,
      error: detail,
    });
  }

  #act(batch: FrozenBatch, decision: Classification, response: TransportResponse, problem: SpotzeeProblem, requestId: string | null): BatchAttempt['decision'] {
    const failure = this.#describeProblem(response.status, problem, requestId);
    switch (decision.kind) {
      case 'delivered':
        this.#consecutivePauses = 0;
        this.#pool.settle(batch);
        this.#ledger.deliver(batch, requestId, decision.replayed);
        this.#log.write('debug', M.delivered(batch, batch.sends, requestId, decision.replayed));
        return 'delivered';
      case 'retry': {
        const retryAfter = parseRetryAfterMs(response.headers['retry-after']);
        this.#retryLater(batch, response.status, failure, requestId, retryAfter, problem.code);
        return batch.settled ? 'dropped' : 'retry';
      }
      case 'pause':
        this.#pause(batch, parseRetryAfterMs(response.headers['retry-after']), failure);
        return 'paused';
      case 'halt':
        this.#halt(batch, response.status, problem, requestId, failure);
        return 'halted';
      case 'mismatch':
        this.#rejectBatch(batch, 'idempotency_key_mismatch', problem, requestId, response.status);
        this.#log.write('error', M.mismatch(batch, requestId));
        return 'rejected';
      case 'reject_all':
        this.#rejectBatch(batch, 'server_rejected', problem, requestId, response.status);
        this.#log.write('warn', M.refused(batch, failure));
        return 'rejected';
      case 'reject_items':
        this.#rejectItems(batch, decision.items, problem, requestId, response.status);
        return 'rejected';
      case 'split':
        if (batch.size === 1) {
          this.#rejectBatch(batch, 'server_rejected', problem, requestId, response.status);
          this.#log.write('warn', M.eventRejected(describeEvent(batch.entries[0]!.event.name, batch.entries[0]!.event.source), failure));
          return 'rejected';
        }
        this.#split(batch, failure);
        return 'split';
    }
  }

  #describeProblem(status: number, problem: SpotzeeProblem, requestId: string | null): string {
    return M.problem(status, problem.code, problem.message ?? problem.title, requestId);
  }

  #noteError(message: string, status: number | null, code: string | null, requestId: string | null): void {
    const lastError: NonNullable<DeliveryHealth['lastError']> = { message: this.#log.redact(message), status, requestId, at: new Date().toISOString() };
    if (code !== null) lastError.code = code;
    this.#lastError = lastError;
  }

  /** A transient failure: back off and retry the identical request, or drop once the budget is spent. */
  #retryLater(batch: FrozenBatch, status: number | null, failure: string, requestId: string | null, retryAfterMs: number | null, code: string | null = null): void {
    batch.failures += 1;
    this.#noteError(`Batch ${batch.key} failed: ${failure}`, status, code, requestId);
    const budget = this.options.maxAttempts;
    if (batch.failures >= budget) {
      this.#pool.settle(batch);
      const line = this.#failureLog.admit(
        `exhausted|${status ?? failure.replace(/:.*$/, '')}`,
        M.exhausted(batch, failure, budget),
      );
      if (line !== null) this.#log.write('error', line);
      for (const entry of batch.entries) {
        this.#ledger.drop(entry, 'retries_exhausted', `dropped after ${budget} failed attempts (last: ${failure}).`, true, true);
      }
      return;
    }
    const delay = Math.max(retryDelayMs(batch.failures, this.options.retryBaseMs, this.options.retryMaxMs, this.#random), retryAfterMs ?? 0);
    batch.nextAt = Date.now() + delay;
    batch.backingOff = true;
    const line = this.#failureLog.admit(
      `retry|${status ?? failure.replace(/:.*$/, '')}`,
      M.retrying(batch, failure, batch.failures, budget, delay),
    );
    if (line !== null) this.#log.write('warn', line);
  }

  /** 429 / idempotency_in_progress: everyone waits; the batch's retry budget is untouched. */
  #pause(batch: FrozenBatch, retryAfterMs: number | null, failure: string): void {
    this.#rateLimited += 1;
    this.#consecutivePauses += 1;
    const pauseMs = rateLimitPauseMs(retryAfterMs, this.#consecutivePauses, this.options.rateLimitMaxMs, this.options.rateLimitJitterMs, this.#random);
    const until = Date.now() + pauseMs;
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
    batch.nextAt = this.#pausedUntil;
    this.#log.write('warn', M.paused(failure, this.#pausedUntil - Date.now()));
  }

  #halt(batch: FrozenBatch, status: number, problem: SpotzeeProblem, requestId: string | null, failure: string): void {
    this.#pool.hold(batch);
    if (this.#halted) return;
    this.#halted = true;
    this.#nextProbeAt = Date.now() + this.options.haltProbeIntervalMs;
    const hint = M.haltHint(status, problem.code, this.options.apiVersion, this.options.baseUrl, this.#url);
    const message = `${hint} ${failure}`;
    this.#noteError(message, status, problem.code, requestId);
    this.#log.write('error', M.halted(message, this.options.haltProbeIntervalMs));
    this.#emitHealth();
    // flush() must not hang on events that cannot be sent until someone fixes the configuration.
    this.#waiters.releaseAll();
  }

  #resume(): void {
    this.#halted = false;
    this.#pool.unhold(Date.now());
    this.#log.write('log', M.resumed());
    this.#emitHealth();
  }

  #emitHealth(): void {
    this.#listeners.emit('health', this.health());
  }

  #serverRejection(problem: SpotzeeProblem, requestId: string | null, status: number, item?: SpotzeeItemError): Partial<RejectedOutcome> {
    const extra: Partial<RejectedOutcome> = { requestId };
    const code = item?.code ?? problem.code ?? `http_${status}`;
    extra.code = code;
    const param = item ? item.param : problem.param;
    if (param !== null && param !== undefined) extra.param = param;
    return extra;
  }

  #rejectBatch(batch: FrozenBatch, reason: RejectionReason, problem: SpotzeeProblem, requestId: string | null, status: number): void {
    this.#pool.settle(batch);
    const failure = this.#describeProblem(status, problem, requestId);
    this.#noteError(`Batch ${batch.key} rejected: ${failure}`, status, problem.code, requestId);
    for (const entry of batch.entries) {
      const { name, source } = entry.event;
      this.#ledger.reject(entry, true, reason, M.eventRejected(describeEvent(name, source), failure), this.#serverRejection(problem, requestId, status));
    }
  }

  /** Rejects the named items and resends the others as a new batch, under a new key. */
  #rejectItems(batch: FrozenBatch, items: Map<number, SpotzeeItemError[]>, problem: SpotzeeProblem, requestId: string | null, status: number): void {
    this.#pool.settle(batch);
    const keep: QueuedEvent[] = [];
    const details: string[] = [];
    batch.entries.forEach((entry, index) => {
      const errors = items.get(index);
      if (errors === undefined) {
        keep.push(entry);
        return;
      }
      const first = errors[0]!;
      const text = errors.map((error) => `${error.param ?? 'event'}: ${error.message ?? error.code ?? 'invalid'}`).join('; ');
      const { name, source } = entry.event;
      const message = M.itemRejected(describeEvent(name, source), text, first.code ?? problem.code ?? `http_${status}`, requestId);
      if (details.length < MAX_LOGGED_ITEMS) details.push(`#${index} ${describeEvent(name, source)} ${text}`);
      this.#ledger.reject(entry, true, 'server_rejected', message, this.#serverRejection(problem, requestId, status, first));
    });
    const rejectedCount = batch.size - keep.length;
    this.#noteError(`Spotzee rejected ${rejectedCount} of ${batch.size} events in batch ${batch.key}`, status, problem.code, requestId);
    if (keep.length > 0) this.#pool.add(keep, Date.now());
    this.#log.write('warn', M.itemsRejected(batch, rejectedCount, status, problem.code, requestId, details, keep.length));
  }

  /** A 400/422 naming no item, or a 413: halve until the bad event is alone. Each half gets a new key. */
  #split(batch: FrozenBatch, failure: string): void {
    this.#pool.settle(batch);
    const middle = Math.ceil(batch.size / 2);
    const now = Date.now();
    this.#pool.add(batch.entries.slice(0, middle), now);
    this.#pool.add(batch.entries.slice(middle), now);
    this.#log.write('debug', M.splitting(batch, failure));
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /** The deadline (or a wait that cannot fit before it): abort requests, drop what is left, finish. */
  #expire(why: string): void {
    if (this.#finished) return;
    // Everything left is about to be dropped: that is not the drain completing.
    this.#ledger.onDrained = null;
    this.#abort.abort();
    const reason = this.#halted ? `${why} (Spotzee had refused the API key)` : this.#pausedUntil > Date.now() ? `${why} (Spotzee was rate limiting)` : why;
    for (let entry = this.#queue.shift(); entry !== undefined; entry = this.#queue.shift()) {
      this.#ledger.drop(entry, 'shutdown_deadline', `not delivered: ${reason}.`);
    }
    for (const batch of this.#pool.snapshot()) {
      this.#pool.settle(batch);
      for (const entry of batch.entries) this.#ledger.drop(entry, 'shutdown_deadline', `not delivered: ${reason}.`, true, true);
    }
    this.#finish(true);
  }

  #finish(timedOut: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const timer of [this.#wakeTimer, this.#deadlineTimer]) if (timer !== null) clearTimeout(timer);
    this.#wakeTimer = null;
    this.#deadlineTimer = null;
    this.#outcomeLog.finish();
    this.#waiters.releaseAll();
    const done = this.#closeDone;
    this.#closeDone = null;
    this.#transport.close().then(
      () => done?.(timedOut),
      (error: unknown) => {
        this.#log.write('warn', M.transportClose(error instanceof Error ? error.message : String(error)));
        done?.(timedOut);
      },
    );
  }
}
