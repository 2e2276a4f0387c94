import { bodyBytes } from './batch-key.js';
import { BatchPool } from './batch-pool.js';
import { BatchSender } from './batch-sender.js';
import { DedupeWindow } from './dedupe-window.js';
import { DeliveryMessages as M } from './delivery.messages.js';
import { DeliveryGate } from './delivery-gate.js';
import type { DeliveryOptions } from './delivery-options.js';
import { DeliveryTransport } from './delivery-transport.js';
import { detachedImmediate, detachedTimeout } from './detached-scope.js';
import { DryRunTransport } from './dry-run-transport.js';
import { EventQueueStore } from './event-queue-store.js';
import type { QueuedEvent } from './event-queue-store.js';
import { EngineLog } from './engine-log.js';
import type { FrozenBatch } from './frozen-batch.js';
import { FlushWaiters } from './flush-waiters.js';
import { ListenerRegistry } from './listener-registry.js';
import { LogThrottle } from './log-throttle.js';
import { MemoryEventQueue } from './memory-event-queue.js';
import { OutcomeLedger } from './outcome-ledger.js';
import { OutcomeLog } from './outcome-log.js';
import type { DeliveryEvents, DeliveryHealth, DeliveryStats } from './outcomes.js';
import { prepareEvent } from './prepare-event.js';
import type { PrepareResult } from './prepare-event.js';
import { createRedactor } from './redaction.js';
import { resolveDeliveryOptions } from './resolve-delivery-options.js';
import type { ResolvedDeliveryOptions } from './resolve-delivery-options.js';
import { ResponseHandler } from './response-handler.js';
import { RetryPolicy } from './retry-policy.js';
import { ServerRejections } from './server-rejections.js';
import type { PreparedEvent, TrackInput } from './spotzee-event.js';
import { UndiciTransport } from './undici-transport.js';

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

const LISTENER_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * The framework-free delivery engine: validated events go into a bounded queue, leave it as frozen
 * batches over keep-alive HTTP, and each ends in exactly one outcome (delivered, rejected or dropped).
 * `captured = delivered + rejected + dropped + pending` holds at every moment, including inside
 * listeners. Nothing here ever throws into the caller except option validation at construction.
 */
export class DeliveryEngine {
  readonly options: Readonly<ResolvedDeliveryOptions>;

  readonly #log: EngineLog;
  readonly #transport: DeliveryTransport;
  readonly #queue: EventQueueStore;
  readonly #dedupe: DedupeWindow;
  readonly #listeners: ListenerRegistry;
  readonly #listenerErrorLog = new LogThrottle(LISTENER_ERROR_LOG_INTERVAL_MS);
  readonly #outcomeLog: OutcomeLog;
  readonly #pool: BatchPool;
  readonly #waiters = new FlushWaiters();
  readonly #ledger: OutcomeLedger;
  readonly #gate: DeliveryGate;
  readonly #sender: BatchSender;

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
    const apiKey = this.options.hasApiKey ? (options.apiKey as string) : '';
    const random = seams.random ?? Math.random;
    this.#queue = seams.queue ?? new MemoryEventQueue();
    this.#dedupe = new DedupeWindow(this.options.dedupeWindowMs, this.options.dedupeMaxKeys);
    const url = `${this.options.baseUrl}/events`;
    this.#transport =
      seams.transport ??
      (this.options.dryRun
        ? new DryRunTransport()
        : new UndiciTransport({ baseUrl: this.options.baseUrl, connectTimeoutMs: this.options.requestTimeoutMs, connections: this.options.maxInFlight }));
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
    const log = this.#log;
    const ledger = this.#ledger;
    const pool = this.#pool;
    this.#gate = new DeliveryGate({
      options: this.options,
      url,
      pool,
      waiters: this.#waiters,
      log,
      random,
      onHealthChanged: () => this.#listeners.emit('health', this.health()),
    });
    const gate = this.#gate;
    const responses = new ResponseHandler({
      ledger,
      pool,
      gate,
      retries: new RetryPolicy({ options: this.options, ledger, pool, gate, log, random }),
      rejections: new ServerRejections({ ledger, pool, gate, log }),
      listeners: this.#listeners,
      log,
    });
    this.#sender = new BatchSender({
      options: this.options,
      url,
      apiKey,
      transport: this.#transport,
      pool,
      responses,
      log,
      afterRequest: () => this.#pump(),
    });
    if (apiKey !== '' && !apiKey.startsWith('sk_')) {
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
    if (this.#finished || this.#gate.halted || pending === 0) return Promise.resolve();
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
    this.#gate.probeNow(startedAt);
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
      requests: this.#sender.requests,
      retries: this.#sender.retries,
      rateLimited: this.#gate.rateLimited,
      healthy: !this.#gate.halted,
      halted: this.#gate.halted,
    };
  }

  health(): DeliveryHealth {
    return this.#gate.health(this.#ledger.pending);
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
    if (this.#gate.halted) {
      if (this.#pool.inFlight === 0 && now >= this.#gate.nextProbeAt) this.#probe(now);
    } else if (now >= this.#gate.pausedUntil) {
      while (this.#pool.inFlight < this.options.maxInFlight) {
        const batch = this.#pool.nextDue(now) ?? this.#freezeIfReady(now);
        if (batch === null) break;
        this.#sender.send(batch);
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
    if (this.#gate.halted) next = this.#gate.nextProbeAt;
    else {
      next = this.#queue.size > 0 && !this.#pool.isBackingOff() ? now : Infinity;
      next = Math.min(next, this.#pool.nextWaitingAt());
      next = Math.max(next, this.#gate.pausedUntil);
    }
    return next > this.#deadlineAt;
  }

  #armWakeTimer(now: number): void {
    let at = Infinity;
    if (this.#gate.halted) {
      if (this.#pool.inFlight === 0 && this.#ledger.pending > 0) at = this.#gate.nextProbeAt;
    } else if (this.#pool.inFlight < this.options.maxInFlight) {
      // With every slot taken, only a completion can make progress, and each one runs the pump: a timer
      // for work that is already due would just spin.
      at = this.#pool.nextWaitingAt();
      const head = this.#queue.peek();
      if (head !== undefined && !this.#pool.isBackingOff() && (this.#started || this.#closing || head.seq <= this.#forceSeq)) {
        at = Math.min(at, head.seq <= this.#forceSeq || this.#closing ? now : head.enqueuedAt + this.options.flushIntervalMs);
      }
      if (at !== Infinity) at = Math.max(at, this.#gate.pausedUntil);
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
    this.#gate.probeSent(now);
    this.#sender.send(batch);
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /** The deadline (or a wait that cannot fit before it): abort requests, drop what is left, finish. */
  #expire(why: string): void {
    if (this.#finished) return;
    // Everything left is about to be dropped: that is not the drain completing.
    this.#ledger.onDrained = null;
    this.#sender.abort();
    const reason = this.#gate.halted ? `${why} (Spotzee had refused the API key)` : this.#gate.pausedUntil > Date.now() ? `${why} (Spotzee was rate limiting)` : why;
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
