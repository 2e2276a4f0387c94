import { retryDelayMs } from './backoff.js';
import type { BatchPool } from '../queue/batch-pool.js';
import { DeliveryMessages as M, duration, plural } from '../delivery.messages.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { EngineLog } from '../ledger/engine-log.js';
import type { FrozenBatch } from '../queue/frozen-batch.js';
import { LogThrottle } from '../ledger/log-throttle.js';
import type { OutcomeLedger } from '../ledger/outcome-ledger.js';
import type { ResolvedDeliveryOptions } from '../resolve-delivery-options.js';

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
 * backoff for as long as the batch's retry budget lasts: `retryForMs` from its first failure (and
 * `maxAttempts`, when set). Measured in time, not attempts, so an outage of minutes costs nothing
 * however often the batch was tried meanwhile; the last retry is scheduled at the budget's end, and a
 * failure after it drops the batch's events as `retries_exhausted`.
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
    const now = Date.now();
    batch.failures += 1;
    batch.firstFailedAt ??= now;
    const { maxAttempts, retryForMs, retryBaseMs, retryMaxMs } = this.#options;
    // A server's Retry-After is honoured up to retryMaxMs: `Retry-After: 3600` on a 503 must not park
    // the batch for an hour.
    let asked = retryAfterMs;
    if (asked !== null && asked > retryMaxMs) {
      failure += M.retryAfterCapped(asked, retryMaxMs);
      asked = retryMaxMs;
    }
    this.#gate.noteError(`Batch ${batch.key} failed: ${failure}`, status, code, requestId);
    // Folded per status, or per error code for failures without an answer (`no response (ECONNREFUSED…`).
    const kind = status ?? failure.replace(/:.*$/, '');
    const spentMs = now - batch.firstFailedAt;
    if (batch.failures >= maxAttempts || spentMs >= retryForMs) {
      const why =
        batch.failures >= maxAttempts
          ? `after ${maxAttempts} failed attempts`
          : `after retrying for ${duration(spentMs)} (retryForMs; ${plural(batch.failures, 'failed attempt')})`;
      this.#drop(batch, failure, kind, why);
      return;
    }
    const backoff = Math.max(retryDelayMs(batch.failures, retryBaseMs, retryMaxMs, this.#random), asked ?? 0);
    // One last attempt when the budget runs out, rather than none after a backoff that overshoots it.
    const delay = Math.min(backoff, retryForMs - spentMs);
    this.#pool.backOff(batch, now + delay);
    const attempt = Number.isFinite(maxAttempts) ? `${batch.failures}/${maxAttempts}` : `${batch.failures}`;
    const line = this.#failureLog.admit(
      `retry|${kind}`,
      M.retrying(batch, failure, attempt, delay, retryForMs - spentMs),
    );
    if (line !== null) this.#log.write('warn', line);
  }

  #drop(batch: FrozenBatch, failure: string, kind: string | number, why: string): void {
    this.#pool.settle(batch);
    const line = this.#failureLog.admit(`exhausted|${kind}`, M.exhausted(batch, failure, batch.failures, why));
    if (line !== null) this.#log.write('error', line);
    for (const entry of batch.entries) {
      this.#ledger.drop(entry, 'retries_exhausted', M.dropRetriesExhausted(why, failure), { frozen: true });
    }
  }
}
