import { retryDelayMs } from './backoff.js';
import type { BatchPool } from './batch-pool.js';
import { DeliveryMessages as M } from './delivery.messages.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { EngineLog } from './engine-log.js';
import type { FrozenBatch } from './frozen-batch.js';
import { LogThrottle } from './log-throttle.js';
import type { OutcomeLedger } from './outcome-ledger.js';
import type { ResolvedDeliveryOptions } from './resolve-delivery-options.js';

const FAILURE_LOG_INTERVAL_MS = 10_000;

export interface RetryPolicyDeps {
  options: Readonly<ResolvedDeliveryOptions>;
  ledger: OutcomeLedger;
  pool: BatchPool;
  gate: DeliveryGate;
  log: EngineLog;
  random: () => number;
}

/**
 * Transient failures (5xx, network errors, timeouts): the identical request is retried after a jittered
 * backoff, and its events are dropped once the batch has spent its `maxAttempts`.
 */
export class RetryPolicy {
  /** During an outage every batch fails the same way: one line per kind of failure per window. */
  readonly #failureLog = new LogThrottle(FAILURE_LOG_INTERVAL_MS);
  readonly #options: Readonly<ResolvedDeliveryOptions>;
  readonly #ledger: OutcomeLedger;
  readonly #pool: BatchPool;
  readonly #gate: DeliveryGate;
  readonly #log: EngineLog;
  readonly #random: () => number;

  constructor(deps: RetryPolicyDeps) {
    this.#options = deps.options;
    this.#ledger = deps.ledger;
    this.#pool = deps.pool;
    this.#gate = deps.gate;
    this.#log = deps.log;
    this.#random = deps.random;
  }

  /** Schedules the retry, or drops the batch's events when this failure spent the budget. */
  retryLater(
    batch: FrozenBatch,
    status: number | null,
    failure: string,
    requestId: string | null,
    retryAfterMs: number | null,
    code: string | null = null,
  ): void {
    batch.failures += 1;
    const { maxAttempts: budget, retryBaseMs, retryMaxMs } = this.#options;
    // A server's Retry-After is honoured up to retryMaxMs: `Retry-After: 3600` on a 503 must not park
    // the batch (and, while it backs off, every new batch) for an hour.
    let asked = retryAfterMs;
    if (asked !== null && asked > retryMaxMs) {
      failure += M.retryAfterCapped(asked, retryMaxMs);
      asked = retryMaxMs;
    }
    this.#gate.noteError(`Batch ${batch.key} failed: ${failure}`, status, code, requestId);
    // Folded per status, or per error code for failures without an answer (`no response (ECONNREFUSED…`).
    const kind = status ?? failure.replace(/:.*$/, '');
    if (batch.failures >= budget) {
      this.#pool.settle(batch);
      const line = this.#failureLog.admit(`exhausted|${kind}`, M.exhausted(batch, failure, budget));
      if (line !== null) this.#log.write('error', line);
      for (const entry of batch.entries) {
        this.#ledger.drop(
          entry,
          'retries_exhausted',
          `dropped after ${budget} failed attempts (last: ${failure}).`,
          true,
          true,
        );
      }
      return;
    }
    const delay = Math.max(retryDelayMs(batch.failures, retryBaseMs, retryMaxMs, this.#random), asked ?? 0);
    batch.nextAt = Date.now() + delay;
    batch.backingOff = true;
    const line = this.#failureLog.admit(`retry|${kind}`, M.retrying(batch, failure, batch.failures, budget, delay));
    if (line !== null) this.#log.write('warn', line);
  }
}
