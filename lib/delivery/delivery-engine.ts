import { rateLimitPauseMs, retryDelayMs, parseRetryAfterMs } from './backoff.js';
import { bodyBytes } from './batch-key.js';
import { DedupeWindow } from './dedupe-window.js';
import { DeliveryMessages as M } from './delivery.messages.js';
import type { DeliveryOptions } from './delivery-options.js';
import { DeliveryTransport } from './delivery-transport.js';
import type { TransportResponse } from './delivery-transport.js';
import { detachedImmediate, detachedTimeout } from './detached-scope.js';
import { DropLog } from './drop-log.js';
import { DryRunTransport } from './dry-run-transport.js';
import { EventQueueStore } from './event-queue-store.js';
import type { QueuedEvent } from './event-queue-store.js';
import { describeEvent, summarizeEvent } from './event-summary.js';
import { FrozenBatch } from './frozen-batch.js';
import { ListenerRegistry } from './listener-registry.js';
import { LogThrottle } from './log-throttle.js';
import { MemoryEventQueue } from './memory-event-queue.js';
import type {
  BatchAttempt,
  DeliveryEvents,
  DeliveryHealth,
  DeliveryStats,
  DropReason,
  RejectedOutcome,
  RejectionReason,
} from './outcomes.js';
import { prepareEvent } from './prepare-event.js';
import type { PrepareResult } from './prepare-event.js';
import { createRedactor } from './redaction.js';
import type { Redactor } from './redaction.js';
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

type LogLevel = 'log' | 'warn' | 'error' | 'debug';

const EMPTY_PROBLEM: SpotzeeProblem = { code: null, title: null, message: null, requestId: null, param: null, errors: [] };
const DROP_LOG_WINDOW_MS = 1000;
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
  readonly #redact: Redactor;
  readonly #transport: DeliveryTransport;
  readonly #queue: EventQueueStore;
  readonly #random: () => number;
  readonly #dedupe: DedupeWindow;
  readonly #listeners: ListenerRegistry;
  readonly #rejectionLog = new LogThrottle(REJECTION_LOG_INTERVAL_MS);
  readonly #listenerErrorLog = new LogThrottle(REJECTION_LOG_INTERVAL_MS);
  /** During an outage every batch fails the same way: one line per kind of failure per window. */
  readonly #failureLog = new LogThrottle(FAILURE_LOG_INTERVAL_MS);
  readonly #dropLog = new DropLog();
  readonly #url: string;
  readonly #baseHeaders: Readonly<Record<string, string>>;
  readonly #abort = new AbortController();

  // Counters behind stats(); `pending` is derived so it can never drift from the queue and batches.
  #captured = 0;
  #delivered = 0;
  #rejected = 0;
  #dropped = 0;
  #duplicates = 0;
  #requests = 0;
  #retries = 0;
  #rateLimited = 0;

  /** Every frozen batch with events still unsettled: waiting, in flight or held. */
  readonly #batches = new Set<FrozenBatch>();
  #frozenEvents = 0;
  #frozenBytes = 0;
  #inFlight = 0;
  #inFlightEvents = 0;

  #seq = 0;
  /** Events up to this sequence number leave as partial batches without waiting for the interval. */
  #forceSeq = 0;
  #flushWaiters: { target: number; remaining: number; resolve: () => void }[] = [];

  #started = false;
  #closing = false;
  #finished = false;
  #closePromise: Promise<CloseReport> | null = null;
  #closeDone: ((timedOut: boolean) => void) | null = null;
  #deadlineAt = Infinity;
  #deadlineTimer: NodeJS.Timeout | null = null;
  #expiring = false;

  #halted = false;
  #nextProbeAt = 0;
  #pausedUntil = 0;
  #consecutivePauses = 0;
  #lastError: DeliveryHealth['lastError'] = null;

  #wakeTimer: NodeJS.Timeout | null = null;
  #wakeAt = Infinity;
  #wakeKeepsAlive = false;
  #pumpScheduled = false;
  #dropLogTimer: NodeJS.Timeout | null = null;

  constructor(options: DeliveryOptions, seams: DeliveryEngineSeams = {}) {
    this.#redact = createRedactor(typeof options?.apiKey === 'string' ? options.apiKey : undefined);
    try {
      this.options = Object.freeze(resolveDeliveryOptions(options));
    } catch (error) {
      // Messages are written key-free, but scrub them anyway in case a caller's value echoes the key.
      if (error instanceof Error) error.message = this.#redact(error.message);
      throw error;
    }
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
      if (line !== null) this.#write('error', line);
    });
    if (this.#apiKey !== '' && !this.#apiKey.startsWith('sk_')) {
      this.#write('warn', M.keyShape());
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
    if (!result.ok) this.#rejectAtCapture(result.rejection);
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
    const pending = this.#pending();
    if (this.#finished || this.#halted || pending === 0) return Promise.resolve();
    this.#forceSeq = this.#seq;
    return new Promise<void>((resolve) => {
      this.#flushWaiters.push({ target: this.#seq, remaining: pending, resolve });
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
    const before = { delivered: this.#delivered, rejected: this.#rejected, dropped: this.#dropped };
    this.#closing = true;
    this.#forceSeq = Infinity;
    this.#deadlineAt = startedAt + deadlineMs;
    // A refused key may have been fixed server-side since the last probe: try once more right away.
    if (this.#halted) this.#nextProbeAt = startedAt;
    this.#closePromise = new Promise<boolean>((resolve) => {
      this.#closeDone = resolve;
      this.#deadlineTimer = detachedTimeout(() => this.#expire('the shutdown deadline passed'), deadlineMs, true);
      if (this.#pending() === 0) this.#finish(false);
      else this.#requestPump();
    }).then((timedOut) => {
      const report: CloseReport = {
        delivered: this.#delivered - before.delivered,
        rejected: this.#rejected - before.rejected,
        dropped: this.#dropped - before.dropped,
        durationMs: Date.now() - startedAt,
        timedOut,
      };
      this.#write(timedOut ? 'error' : 'log', M.drained(report.durationMs, report.delivered, report.rejected, report.dropped, timedOut));
      return report;
    });
    return this.#closePromise;
  }

  stats(): DeliveryStats {
    const pending = this.#pending();
    return {
      captured: this.#captured,
      delivered: this.#delivered,
      rejected: this.#rejected,
      dropped: this.#dropped,
      pending,
      duplicates: this.#duplicates,
      queuedEvents: pending - this.#inFlightEvents,
      queuedBytes: this.#queue.bytes + this.#frozenBytes,
      inFlightRequests: this.#inFlight,
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
      queueDepth: this.#pending(),
    };
  }

  on<K extends keyof DeliveryEvents>(type: K, listener: DeliveryEvents[K]): () => void {
    return this.#listeners.on(type, listener);
  }

  // ---- intake -------------------------------------------------------------------------------

  #pending(): number {
    return this.#queue.size + this.#frozenEvents;
  }

  #commitOne(event: PreparedEvent, now: number): void {
    const entry: QueuedEvent = { event, seq: ++this.#seq, enqueuedAt: now };
    if (this.#closing) {
      this.#captured += 1;
      this.#drop(entry, 'closed', `not queued: the Spotzee engine is shut down.`);
      return;
    }
    if (event.idempotencyKey !== null && this.#dedupe.seen(event.idempotencyKey, now)) {
      this.#captured += 1;
      this.#duplicates += 1;
      this.#drop(entry, 'duplicate', `not sent again: idempotencyKey "${event.idempotencyKey}" was already captured within the dedupe window.`, false);
      return;
    }
    // Room is made before the new event counts as captured: listeners of the evicted events must see
    // the invariant hold, and the new event is not pending yet.
    const fits = this.#makeRoom(event.bytes);
    this.#captured += 1;
    if (!fits) {
      this.#drop(entry, 'queue_full', `not queued: the queue is full (overflow policy ${this.options.overflow}).`);
      return;
    }
    this.#queue.push(entry);
    this.#listeners.emit('captured', event);
  }

  /** Applies the overflow policy; false when the new event must go. */
  #makeRoom(bytes: number): boolean {
    const { maxQueueEvents, maxQueueBytes, overflow } = this.options;
    const fits = (): boolean => this.#pending() + 1 <= maxQueueEvents && this.#queue.bytes + this.#frozenBytes + bytes <= maxQueueBytes;
    if (fits()) return true;
    if (overflow === 'drop-newest') return false;
    // Frozen batches cannot shed events without changing their bytes, so only the unbatched queue is trimmed.
    while (!fits() && this.#queue.size > 0) {
      const oldest = this.#queue.shift()!;
      this.#drop(oldest, 'queue_full', `dropped to make room for newer events: the queue is full (overflow policy drop-oldest).`);
    }
    return fits();
  }

  #rejectAtCapture(rejection: RejectedOutcome): void {
    this.#captured += 1;
    this.#rejected += 1;
    const outcome = { ...rejection, message: this.#redact(rejection.message) };
    this.#listeners.emit('rejected', outcome);
    this.#listeners.emit('outcome', outcome);
    const line = this.#rejectionLog.admit(`${rejection.reason}|${rejection.event.name}|${rejection.event.source ?? ''}`, outcome.message);
    if (line !== null) this.#write('warn', line);
  }

  // ---- outcomes -----------------------------------------------------------------------------

  /** Bookkeeping shared by every outcome of a committed event; keeps `pending` and flush waiters exact. */
  #settle(entry: QueuedEvent, frozen: boolean): void {
    if (frozen) {
      this.#frozenEvents -= 1;
      this.#frozenBytes -= entry.event.bytes;
    }
    if (this.#flushWaiters.length > 0) {
      this.#flushWaiters = this.#flushWaiters.filter((waiter) => {
        if (entry.seq <= waiter.target) waiter.remaining -= 1;
        if (waiter.remaining > 0) return true;
        waiter.resolve();
        return false;
      });
    }
    // While closing, the drain ends as soon as the last event has an outcome.
    if (this.#closing && !this.#expiring && this.#pending() === 0) this.#finish(false);
  }

  #deliver(batch: FrozenBatch, requestId: string | null, replayed: boolean): void {
    for (const entry of batch.entries) {
      this.#delivered += 1;
      this.#settle(entry, true);
      const outcome = { outcome: 'delivered' as const, event: summarizeEvent(entry.event), batchKey: batch.key, requestId, replayed };
      this.#listeners.emit('delivered', outcome);
      this.#listeners.emit('outcome', outcome);
    }
  }

  #reject(entry: QueuedEvent, frozen: boolean, reason: RejectionReason, message: string, extra: Partial<RejectedOutcome> = {}): void {
    this.#rejected += 1;
    this.#settle(entry, frozen);
    const outcome: RejectedOutcome = { outcome: 'rejected', event: summarizeEvent(entry.event), reason, message: this.#redact(message), ...extra };
    this.#listeners.emit('rejected', outcome);
    this.#listeners.emit('outcome', outcome);
  }

  /**
   * `frozen` says whether the event sat in a frozen batch (true) or in the queue / was never queued
   * (false). Dropped events forget their idempotency key, so capturing them again is allowed.
   */
  #drop(entry: QueuedEvent, reason: DropReason, why: string, forgetKey = true, frozen = false): void {
    this.#dropped += 1;
    this.#settle(entry, frozen);
    if (forgetKey && entry.event.idempotencyKey !== null) this.#dedupe.forget(entry.event.idempotencyKey);
    const event = summarizeEvent(entry.event);
    const outcome = { outcome: 'dropped' as const, event, reason, message: `Spotzee event ${describeEvent(event.name, event.source)} ${why}` };
    this.#listeners.emit('dropped', outcome);
    this.#listeners.emit('outcome', outcome);
    if (this.#finished) {
      // After shutdown there is no burst window left to fold into; one line per minute at most.
      const line = this.#rejectionLog.admit(`late|${reason}`, outcome.message);
      if (line !== null) this.#write('warn', line);
      return;
    }
    this.#dropLog.add(reason, event.name);
    if (this.#dropLogTimer === null) {
      this.#dropLogTimer = detachedTimeout(() => this.#writeDropLog(), DROP_LOG_WINDOW_MS, false);
    }
  }

  #writeDropLog(): void {
    if (this.#dropLogTimer !== null) clearTimeout(this.#dropLogTimer);
    this.#dropLogTimer = null;
    const { maxQueueEvents, maxQueueBytes, overflow } = this.options;
    const level = this.#dropLog.onlyDuplicates ? 'debug' : 'warn';
    const line = this.#dropLog.take((reason) =>
      reason === 'queue_full' ? ` (queue limit ${maxQueueEvents} events / ${maxQueueBytes} bytes, overflow ${overflow})` : '',
    );
    if (line !== null) this.#write(level, line);
  }

  #settleBatch(batch: FrozenBatch): void {
    if (batch.state === 'in_flight') this.#inFlightEvents -= batch.size;
    batch.state = 'waiting';
    batch.settled = true;
    this.#batches.delete(batch);
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
      if (this.#inFlight === 0 && now >= this.#nextProbeAt) this.#probe(now);
    } else if (now >= this.#pausedUntil) {
      while (this.#inFlight < this.options.maxInFlight) {
        const batch = this.#nextDueBatch(now) ?? this.#freezeIfReady(now);
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

  #nextDueBatch(now: number): FrozenBatch | null {
    let best: FrozenBatch | null = null;
    for (const batch of this.#batches) {
      if (batch.state === 'waiting' && batch.nextAt <= now && (best === null || batch.nextAt < best.nextAt)) best = batch;
    }
    return best;
  }

  #isBackingOff(): boolean {
    for (const batch of this.#batches) if (batch.backingOff) return true;
    return false;
  }

  /** Freezes the next batch from the queue when it is due; null when it should wait. */
  #freezeIfReady(now: number): FrozenBatch | null {
    const head = this.#queue.peek();
    if (head === undefined) return null;
    // While a batch backs off after a transient failure, new batches wait too: no point stacking
    // requests onto a struggling server, and unfrozen events can still be trimmed by drop-oldest.
    if (this.#isBackingOff()) return null;
    const forced = this.#closing || head.seq <= this.#forceSeq;
    if (!forced) {
      if (!this.#started) return null;
      const full =
        this.#queue.size >= this.options.maxBatchEvents || bodyBytes(this.#queue.size, this.#queue.bytes) >= this.options.maxBatchBytes;
      if (!full && head.enqueuedAt + this.options.flushIntervalMs > now) return null;
    }
    return this.#freeze(now);
  }

  #freeze(now: number): FrozenBatch {
    const entries: QueuedEvent[] = [];
    let bytes = 0;
    for (let next = this.#queue.peek(); next !== undefined; next = this.#queue.peek()) {
      if (entries.length >= this.options.maxBatchEvents) break;
      if (entries.length > 0 && bodyBytes(entries.length + 1, bytes + next.event.bytes) > this.options.maxBatchBytes) break;
      entries.push(this.#queue.shift()!);
      bytes += next.event.bytes;
    }
    // Counted as frozen in the same step they leave the queue, so `pending` never blips.
    this.#frozenEvents += entries.length;
    this.#frozenBytes += bytes;
    return this.#addBatch(entries, now);
  }

  /** A new frozen batch from entries already counted as frozen (freshly frozen, or split off another). */
  #addBatch(entries: readonly QueuedEvent[], now: number): FrozenBatch {
    const batch = new FrozenBatch(entries, now);
    this.#batches.add(batch);
    return batch;
  }

  #closeCannotProgress(now: number): boolean {
    if (this.#inFlight > 0 || this.#pending() === 0) return false;
    let next: number;
    if (this.#halted) next = this.#nextProbeAt;
    else {
      next = this.#queue.size > 0 && !this.#isBackingOff() ? now : Infinity;
      for (const batch of this.#batches) if (batch.state === 'waiting') next = Math.min(next, batch.nextAt);
      next = Math.max(next, this.#pausedUntil);
    }
    return next > this.#deadlineAt;
  }

  #armWakeTimer(now: number): void {
    let at = Infinity;
    if (this.#halted) {
      if (this.#inFlight === 0 && this.#pending() > 0) at = this.#nextProbeAt;
    } else if (this.#inFlight < this.options.maxInFlight) {
      // With every slot taken, only a completion can make progress, and each one runs the pump: a timer
      // for work that is already due would just spin.
      for (const batch of this.#batches) if (batch.state === 'waiting') at = Math.min(at, batch.nextAt);
      const head = this.#queue.peek();
      if (head !== undefined && !this.#isBackingOff() && (this.#started || this.#closing || head.seq <= this.#forceSeq)) {
        at = Math.min(at, head.seq <= this.#forceSeq || this.#closing ? now : head.enqueuedAt + this.options.flushIntervalMs);
      }
      if (at !== Infinity) at = Math.max(at, this.#pausedUntil);
    }
    // Only keep the process alive while someone awaits flush() or close(); otherwise never hold it open.
    const keepAlive = this.#closing || this.#flushWaiters.length > 0;
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
    let batch: FrozenBatch | null = null;
    for (const candidate of this.#batches) {
      if (candidate.state === 'held') {
        batch = candidate;
        break;
      }
      if (candidate.state === 'waiting' && batch === null) batch = candidate;
    }
    if (batch === null && this.#queue.size > 0) batch = this.#freeze(now);
    if (batch === null) return;
    this.#nextProbeAt = now + this.options.haltProbeIntervalMs;
    this.#send(batch);
  }

  #send(batch: FrozenBatch): void {
    batch.state = 'in_flight';
    batch.backingOff = false;
    batch.sends += 1;
    this.#inFlight += 1;
    this.#inFlightEvents += batch.size;
    this.#requests += 1;
    if (batch.sends > 1) this.#retries += 1;
    if (this.options.dryRun) {
      const preview = batch.body.length > 2000 ? `${batch.body.toString('utf8', 0, 2000)}…` : batch.body.toString('utf8');
      this.#write('debug', M.dryRun(batch, preview));
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
      this.#inFlight -= 1;
      if (batch.state === 'in_flight') {
        this.#inFlightEvents -= batch.size;
        batch.state = 'waiting';
      }
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
        this.#write('error', M.engineBug(batch.key, error instanceof Error ? (error.stack ?? error.message) : String(error)));
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
    const requestId = rawRequestId === null || rawRequestId === undefined ? null : this.#redact(rawRequestId.slice(0, 200));
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
    if (!ok) attempt.error = this.#redact(this.#describeProblem(response.status, problem, requestId));
    if (this.#halted && decision.kind !== 'halt') this.#resume();
    attempt.decision = this.#act(batch, decision, response, problem, requestId);
    this.#listeners.emit('attempt', attempt);
  }

  #onNoResponse(batch: FrozenBatch, error: unknown, startedAt: number): void {
    if (batch.settled || this.#abort.signal.aborted) return;
    const code = (error as { code?: unknown } | null)?.code;
    const detail = this.#redact(`${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}`);
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
        this.#settleBatch(batch);
        this.#deliver(batch, requestId, decision.replayed);
        this.#write('debug', M.delivered(batch, batch.sends, requestId, decision.replayed));
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
        this.#write('error', M.mismatch(batch, requestId));
        return 'rejected';
      case 'reject_all':
        this.#rejectBatch(batch, 'server_rejected', problem, requestId, response.status);
        this.#write('warn', M.refused(batch, failure));
        return 'rejected';
      case 'reject_items':
        this.#rejectItems(batch, decision.items, problem, requestId, response.status);
        return 'rejected';
      case 'split':
        if (batch.size === 1) {
          this.#rejectBatch(batch, 'server_rejected', problem, requestId, response.status);
          this.#write('warn', M.eventRejected(describeEvent(batch.entries[0]!.event.name, batch.entries[0]!.event.source), failure));
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
    const lastError: NonNullable<DeliveryHealth['lastError']> = { message: this.#redact(message), status, requestId, at: new Date().toISOString() };
    if (code !== null) lastError.code = code;
    this.#lastError = lastError;
  }

  /** A transient failure: back off and retry the identical request, or drop once the budget is spent. */
  #retryLater(batch: FrozenBatch, status: number | null, failure: string, requestId: string | null, retryAfterMs: number | null, code: string | null = null): void {
    batch.failures += 1;
    this.#noteError(`Batch ${batch.key} failed: ${failure}`, status, code, requestId);
    const budget = this.options.maxAttempts;
    if (batch.failures >= budget) {
      this.#settleBatch(batch);
      const line = this.#failureLog.admit(
        `exhausted|${status ?? failure.replace(/:.*$/, '')}`,
        M.exhausted(batch, failure, budget),
      );
      if (line !== null) this.#write('error', line);
      for (const entry of batch.entries) {
        this.#drop(entry, 'retries_exhausted', `dropped after ${budget} failed attempts (last: ${failure}).`, true, true);
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
    if (line !== null) this.#write('warn', line);
  }

  /** 429 / idempotency_in_progress: everyone waits; the batch's retry budget is untouched. */
  #pause(batch: FrozenBatch, retryAfterMs: number | null, failure: string): void {
    this.#rateLimited += 1;
    this.#consecutivePauses += 1;
    const pauseMs = rateLimitPauseMs(retryAfterMs, this.#consecutivePauses, this.options.rateLimitMaxMs, this.options.rateLimitJitterMs, this.#random);
    const until = Date.now() + pauseMs;
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
    batch.nextAt = this.#pausedUntil;
    this.#write('warn', M.paused(failure, this.#pausedUntil - Date.now()));
  }

  #halt(batch: FrozenBatch, status: number, problem: SpotzeeProblem, requestId: string | null, failure: string): void {
    batch.state = 'held';
    if (this.#halted) return;
    this.#halted = true;
    this.#nextProbeAt = Date.now() + this.options.haltProbeIntervalMs;
    const hint = M.haltHint(status, problem.code, this.options.apiVersion, this.options.baseUrl, this.#url);
    const message = `${hint} ${failure}`;
    this.#noteError(message, status, problem.code, requestId);
    this.#write('error', M.halted(message, this.options.haltProbeIntervalMs));
    this.#emitHealth();
    // flush() must not hang on events that cannot be sent until someone fixes the configuration.
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  #resume(): void {
    this.#halted = false;
    for (const batch of this.#batches) {
      if (batch.state === 'held') {
        batch.state = 'waiting';
        batch.nextAt = Date.now();
      }
    }
    this.#write('log', M.resumed());
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
    this.#settleBatch(batch);
    const failure = this.#describeProblem(status, problem, requestId);
    this.#noteError(`Batch ${batch.key} rejected: ${failure}`, status, problem.code, requestId);
    for (const entry of batch.entries) {
      const { name, source } = entry.event;
      this.#reject(entry, true, reason, M.eventRejected(describeEvent(name, source), failure), this.#serverRejection(problem, requestId, status));
    }
  }

  /** Rejects the named items and resends the others as a new batch, under a new key. */
  #rejectItems(batch: FrozenBatch, items: Map<number, SpotzeeItemError[]>, problem: SpotzeeProblem, requestId: string | null, status: number): void {
    this.#settleBatch(batch);
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
      this.#reject(entry, true, 'server_rejected', message, this.#serverRejection(problem, requestId, status, first));
    });
    const rejectedCount = batch.size - keep.length;
    this.#noteError(`Spotzee rejected ${rejectedCount} of ${batch.size} events in batch ${batch.key}`, status, problem.code, requestId);
    if (keep.length > 0) this.#addBatch(keep, Date.now());
    this.#write('warn', M.itemsRejected(batch, rejectedCount, status, problem.code, requestId, details, keep.length));
  }

  /** A 400/422 naming no item, or a 413: halve until the bad event is alone. Each half gets a new key. */
  #split(batch: FrozenBatch, failure: string): void {
    this.#settleBatch(batch);
    const middle = Math.ceil(batch.size / 2);
    const now = Date.now();
    this.#addBatch(batch.entries.slice(0, middle), now);
    this.#addBatch(batch.entries.slice(middle), now);
    this.#write('debug', M.splitting(batch, failure));
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /** The deadline (or a wait that cannot fit before it): abort requests, drop what is left, finish. */
  #expire(why: string): void {
    if (this.#finished) return;
    this.#expiring = true;
    this.#abort.abort();
    const reason = this.#halted ? `${why} (Spotzee had refused the API key)` : this.#pausedUntil > Date.now() ? `${why} (Spotzee was rate limiting)` : why;
    for (let entry = this.#queue.shift(); entry !== undefined; entry = this.#queue.shift()) {
      this.#drop(entry, 'shutdown_deadline', `not delivered: ${reason}.`);
    }
    for (const batch of [...this.#batches]) {
      this.#settleBatch(batch);
      for (const entry of batch.entries) this.#drop(entry, 'shutdown_deadline', `not delivered: ${reason}.`, true, true);
    }
    this.#finish(true);
  }

  #finish(timedOut: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const timer of [this.#wakeTimer, this.#deadlineTimer]) if (timer !== null) clearTimeout(timer);
    this.#wakeTimer = null;
    this.#deadlineTimer = null;
    this.#writeDropLog();
    const waiters = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const waiter of waiters) waiter.resolve();
    const done = this.#closeDone;
    this.#closeDone = null;
    this.#transport.close().then(
      () => done?.(timedOut),
      (error: unknown) => {
        this.#write('warn', M.transportClose(error instanceof Error ? error.message : String(error)));
        done?.(timedOut);
      },
    );
  }

  #write(level: LogLevel, message: string): void {
    const logger = this.options.logger;
    try {
      const text = this.#redact(message);
      if (level === 'debug') logger.debug?.(text);
      else logger[level](text);
    } catch {
      // A broken logger must not break delivery.
    }
  }
}
