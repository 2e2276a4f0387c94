import type { EventQueueStore } from '../queue/event-queue-store.js';
import type { ListenerRegistry } from '../ledger/listener-registry.js';
import type { OutcomeLedger } from '../ledger/outcome-ledger.js';
import { rateLimitPauseMs } from './backoff.js';
import type { BatchPool } from '../queue/batch-pool.js';
import { DeliveryMessages as M } from '../delivery.messages.js';
import type { EngineLog } from '../ledger/engine-log.js';
import type { FlushWaiters } from '../ledger/flush-waiters.js';
import type { FrozenBatch } from '../queue/frozen-batch.js';
import type { DeliveryHealth } from '../ledger/outcomes.js';
import type { ResolvedDeliveryOptions } from '../resolve-delivery-options.js';
import type { SpotzeeProblem } from './spotzee-problem.js';

type LastError = NonNullable<DeliveryHealth['lastError']>;

export interface DeliveryGateDeps {
  options: Readonly<ResolvedDeliveryOptions>;
  /** Where requests go, quoted when a wrong `baseUrl` halts the engine. */
  url: string;
  pool: BatchPool;
  waiters: FlushWaiters;
  log: EngineLog;
  random: () => number;
  /** `halted` flipping is announced to `health` listeners, with what `health()` reads. */
  listeners: ListenerRegistry;
  ledger: OutcomeLedger;
  queue: EventQueueStore;
}

/**
 * Whether sending may go on, and the last thing that went wrong. Two brakes, both engine-wide because
 * every batch would meet the same answer: a rate-limit pause (429, idempotency_in_progress) that holds
 * all sending until `pausedUntil`, and a halt (a refused key, a wrong URL or version) that stops all
 * sending except one probe per `haltProbeIntervalMs` until Spotzee accepts requests again.
 */
export class DeliveryGate {
  #halted = false;
  #nextProbeAt = 0;
  #pausedUntil = 0;
  /**
   * Each pause in a row waits longer; a delivery resets it. The pauses in a row form one episode, and
   * an episode is logged once, however many requests the server slows down.
   */
  #consecutivePauses = 0;
  #rateLimited = 0;
  #lastError: LastError | null = null;
  /** A replayed refusal re-keyed a batch and bought one immediate probe; more replays wait the interval. */
  #quickProbeUsed = false;

  readonly #options: Readonly<ResolvedDeliveryOptions>;
  readonly #url: string;
  readonly #pool: BatchPool;
  readonly #waiters: FlushWaiters;
  readonly #log: EngineLog;
  readonly #random: () => number;
  readonly #listeners: ListenerRegistry;
  readonly #ledger: OutcomeLedger;
  readonly #queue: EventQueueStore;

  constructor(deps: DeliveryGateDeps) {
    this.#options = deps.options;
    this.#url = deps.url;
    this.#pool = deps.pool;
    this.#waiters = deps.waiters;
    this.#log = deps.log;
    this.#random = deps.random;
    this.#listeners = deps.listeners;
    this.#ledger = deps.ledger;
    this.#queue = deps.queue;
  }

  get halted(): boolean {
    return this.#halted;
  }

  /** While halted: when the next probe may go. */
  get nextProbeAt(): number {
    return this.#nextProbeAt;
  }

  /** No request leaves before this time. */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  get rateLimited(): number {
    return this.#rateLimited;
  }

  health(): DeliveryHealth {
    const store = this.#queue.status();
    return {
      healthy: !this.#halted && store.up,
      halted: this.#halted,
      lastError: this.#lastError === null ? null : { ...this.#lastError },
      queueDepth: this.#ledger.pending,
      store,
      pausedUntil: this.#resumesAt(),
    };
  }

  /**
   * When held sending goes on again: everything, for a rate-limit pause; a batch backing off after a
   * transient failure, for its retry (other batches go on meanwhile). Both are bounded by the caps on
   * server waits.
   */
  #resumesAt(): string | null {
    const now = Date.now();
    let at = this.#pausedUntil;
    if (this.#pool.backingOffCount() > 0) {
      const due = this.#pool.nextWaitingAt();
      if (due !== Infinity) at = Math.max(at, due);
    }
    return at > now ? new Date(at).toISOString() : null;
  }

  /** A probe leaves now; the next one waits a full interval. */
  probeSent(now: number): void {
    this.#nextProbeAt = now + this.#options.haltProbeIntervalMs;
  }

  /** Shutdown: a refused key may have been fixed server-side since the last probe, so try at once. */
  probeNow(now: number): void {
    if (this.#halted) this.#nextProbeAt = now;
  }

  noteError(message: string, status: number | null, code: string | null, requestId: string | null): void {
    const lastError: LastError = {
      message: this.#log.redact(message),
      status,
      requestId,
      at: new Date().toISOString(),
    };
    if (code !== null) lastError.code = code;
    this.#lastError = lastError;
  }

  /** A batch went through: the next pause starts from the server's ask again. */
  delivered(): void {
    this.#consecutivePauses = 0;
  }

  /** 429 / idempotency_in_progress: everyone waits; the batch's retry budget is untouched. */
  pause(batch: FrozenBatch, retryAfterMs: number | null, failure: string): void {
    const options = this.#options;
    this.#rateLimited += 1;
    this.#consecutivePauses += 1;
    const pause = rateLimitPauseMs(
      retryAfterMs,
      this.#consecutivePauses,
      options.rateLimitMaxMs,
      options.rateLimitJitterMs,
      this.#random,
    );
    const now = Date.now();
    this.#pausedUntil = Math.max(this.#pausedUntil, now + pause.ms);
    batch.nextAt = this.#pausedUntil;
    // `health().pausedUntil` shows the pause; `lastError` keeps the last real failure.
    if (this.#consecutivePauses === 1) {
      this.#log.write(
        'warn',
        M.paused(failure, this.#pausedUntil - now, retryAfterMs, pause.capped, options.rateLimitMaxMs),
      );
    }
  }

  /**
   * `rekeyed`: the refusal was a replay (`Idempotent-Replayed: true`), so Spotzee answered from its 24 h
   * memory of that key and would keep doing so whatever changed; the caller moved the events to a new
   * key, and the next probe goes at once (once in a row: a server replaying every answer waits the
   * interval like any other).
   */
  halt(
    batch: FrozenBatch,
    status: number,
    problem: SpotzeeProblem,
    requestId: string | null,
    failure: string,
    rekeyed = false,
  ): void {
    this.#pool.hold(batch);
    const now = Date.now();
    const quick = rekeyed && !this.#quickProbeUsed;
    this.#quickProbeUsed = rekeyed;
    if (this.#halted) {
      if (quick) this.#nextProbeAt = now;
      return;
    }
    const options = this.#options;
    this.#halted = true;
    this.#nextProbeAt = quick ? now : now + options.haltProbeIntervalMs;
    const hint = M.haltHint(status, problem.code, options.apiVersion, options.baseUrl, this.#url);
    const message = `${hint} ${failure}`;
    this.noteError(message, status, problem.code, requestId);
    this.#log.write('error', M.halted(message, options.haltProbeIntervalMs));
    this.#listeners.emit('health', this.health());
    // flush() must not hang on events that cannot be sent until someone fixes the configuration.
    this.#waiters.releaseAll();
  }

  /** Any answer other than a halt while halted: the configuration works again. */
  resume(): void {
    this.#halted = false;
    this.#quickProbeUsed = false;
    this.#pool.unhold(Date.now());
    this.#log.write('log', M.resumed());
    this.#listeners.emit('health', this.health());
  }
}
