import { BatchPool } from './batch-pool.js';
import { BatchSender } from './batch-sender.js';
import { DedupeWindow } from './dedupe-window.js';
import { DeliveryMessages as M } from './delivery.messages.js';
import { DeliveryGate } from './delivery-gate.js';
import type { DeliveryOptions } from './delivery-options.js';
import { DeliveryTransport } from './delivery-transport.js';
import { DryRunTransport } from './dry-run-transport.js';
import { EngineLog } from './engine-log.js';
import { EventIntake } from './event-intake.js';
import { EventQueueStore } from './event-queue-store.js';
import type { RecoveredBatch } from './event-queue-store.js';
import { FlushWaiters } from './flush-waiters.js';
import { ListenerRegistry } from './listener-registry.js';
import { LogThrottle } from './log-throttle.js';
import { MemoryEventQueue } from './memory-event-queue.js';
import { OutcomeLedger } from './outcome-ledger.js';
import { OutcomeLog } from './outcome-log.js';
import type { DeliveryEvents, DeliveryHealth, DeliveryStats, RejectedOutcome } from './outcomes.js';
import { prepareEvent } from './prepare-event.js';
import type { PrepareResult } from './prepare-event.js';
import { createRedactor } from './redaction.js';
import { resolveDeliveryOptions } from './resolve-delivery-options.js';
import type { ResolvedDeliveryOptions } from './resolve-delivery-options.js';
import { ResponseHandler } from './response-handler.js';
import { RetryPolicy } from './retry-policy.js';
import { SendScheduler } from './send-scheduler.js';
import { ServerRejections } from './server-rejections.js';
import { ShutdownDrain } from './shutdown-drain.js';
import type { CloseOptions, CloseReport } from './shutdown-drain.js';
import type { PreparedEvent, TrackInput } from './spotzee-event.js';
import { UndiciTransport } from './undici-transport.js';

export type { CloseOptions, CloseReport } from './shutdown-drain.js';

export interface DeliveryEngineSeams {
  transport?: DeliveryTransport;
  queue?: EventQueueStore;
  /** [0, 1) like Math.random; tests pass a fixed one to make jitter deterministic. */
  random?: () => number;
}

const LISTENER_ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * The framework-free delivery engine: validated events go into a bounded queue, leave it as frozen
 * batches over keep-alive HTTP, and each ends in exactly one outcome (delivered, rejected or dropped).
 * `captured = delivered + rejected + dropped + pending` holds at every moment, including inside
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
  readonly #log: EngineLog;

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
    const log = (this.#log = new EngineLog(redact, resolved.logger));
    const apiKey = resolved.hasApiKey ? (options.apiKey as string) : '';
    const random = seams.random ?? Math.random;
    const queue = (this.#queue = seams.queue ?? new MemoryEventQueue());
    const dedupe = new DedupeWindow(resolved.dedupeWindowMs, resolved.dedupeMaxKeys);
    const url = `${resolved.baseUrl}/events`;
    const transport =
      seams.transport ??
      (resolved.dryRun
        ? new DryRunTransport()
        : new UndiciTransport({
            baseUrl: resolved.baseUrl,
            connectTimeoutMs: resolved.requestTimeoutMs,
            connections: resolved.maxInFlight,
          }));
    const listenerErrorLog = new LogThrottle(LISTENER_ERROR_LOG_INTERVAL_MS);
    const listeners = (this.#listeners = new ListenerRegistry((type, error) => {
      const detail = error instanceof Error ? error.message : String(error);
      const line = listenerErrorLog.admit(type, M.listenerThrew(type, detail));
      if (line !== null) log.write('error', line);
    }));

    const waiters = this.#waiters;
    const pool = (this.#pool = new BatchPool(resolved, queue));
    const outcomeLog = new OutcomeLog(log, resolved);
    const ledger = (this.#ledger = new OutcomeLedger({ queue, pool, waiters, listeners, dedupe, outcomeLog, redact }));
    const gate = (this.#gate = new DeliveryGate({
      options: resolved,
      url,
      pool,
      waiters,
      log,
      random,
      onHealthChanged: () => listeners.emit('health', this.health()),
    }));
    const responses = new ResponseHandler({
      ledger,
      pool,
      gate,
      retries: new RetryPolicy({ options: resolved, ledger, pool, gate, log, random }),
      rejections: new ServerRejections({ ledger, pool, gate, log }),
      listeners,
      log,
    });
    // The scheduler, the sender and the drain call one another; these closures close the loop.
    const sender = (this.#sender = new BatchSender({
      options: resolved,
      url,
      apiKey,
      transport,
      pool,
      responses,
      log,
      afterRequest: () => this.#scheduler.pump(),
    }));
    const drain = (this.#drain = new ShutdownDrain({
      options: resolved,
      queue,
      pool,
      ledger,
      gate,
      waiters,
      outcomeLog,
      transport,
      log,
      hooks: {
        requestPump: () => this.#scheduler.requestPump(),
        stopPump: () => this.#scheduler.stop(),
        abortRequests: () => sender.abort(),
      },
    }));
    this.#scheduler = new SendScheduler({
      options: resolved,
      queue,
      pool,
      ledger,
      gate,
      waiters,
      drain,
      send: (batch) => sender.send(batch),
    });
    this.#intake = new EventIntake({ options: resolved, queue, pool, ledger, dedupe, listeners, drain });
    pool.onStored = () => this.#scheduler.requestPump();

    // A durable store hands back what a previous run left: queued events (already in its queue) and
    // frozen batches, resent with their original bytes and key.
    const opened = queue.open({
      wake: () => this.#scheduler.requestPump(),
      adopt: (events, batches) => this.#adopt(events, batches),
      log: (level, message) => log.write(level, message),
    });
    this.#adopt(opened.events, opened.batches);

    if (apiKey !== '' && !apiKey.startsWith('sk_')) {
      log.write('warn', M.keyShape());
    }
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
   * waiting for events that cannot be sent. Never rejects.
   */
  flush(): Promise<void> {
    const pending = this.#ledger.pending;
    if (this.#drain.finished || this.#gate.halted || pending === 0) return Promise.resolve();
    const target = this.#intake.seq;
    this.#scheduler.forceThrough(target);
    return new Promise<void>((resolve) => {
      this.#waiters.add(target, pending, resolve);
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
      pending,
      duplicates: ledger.duplicates,
      queuedEvents: pending - pool.inFlightEvents,
      recovered: ledger.recovered,
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
    return this.#gate.health(this.#ledger.pending, this.#queue.status());
  }

  on<K extends keyof DeliveryEvents>(type: K, listener: DeliveryEvents[K]): () => void {
    return this.#listeners.on(type, listener);
  }

  /** Work from a store (recovered at start, or a dead replica's): counted as captured, now pending. */
  #adopt(events: readonly PreparedEvent[], batches: readonly RecoveredBatch[]): void {
    if (this.#drain.finished) return;
    const now = Date.now();
    let count = events.length;
    // Fresh sequence numbers: flush() counts by them, and the previous run's numbers mean nothing here.
    for (const event of events) this.#queue.requeue({ event, seq: this.#intake.nextSeq(), enqueuedAt: now });
    for (const batch of batches) {
      const entries = batch.events.map((event) => ({ event, seq: this.#intake.nextSeq(), enqueuedAt: now }));
      this.#pool.restore(entries, batch, now);
      count += entries.length;
    }
    if (count === 0) return;
    this.#ledger.countRecovered(count);
    this.#log.write('warn', M.recovered(count, batches.length, this.#queue.status().name));
    this.#scheduler.requestPump();
  }

  #prepare(input: TrackInput, now: number): PrepareResult {
    const result = prepareEvent(input, this.options, now);
    if (!result.ok) this.#ledger.rejectAtCapture(result.rejection);
    return result;
  }
}
