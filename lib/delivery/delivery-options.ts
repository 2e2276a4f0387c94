import type { DeliveryLogger } from './ledger/delivery-logger.js';

/** What happens to a new event when the queue is at its event or byte limit. */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest';

/** Engine options. Every number has a documented default; see `DEFAULT_DELIVERY_OPTIONS`. */
export interface DeliveryOptions {
  /** A secret project key, `sk_…`. Publishable `pk_…` keys are refused. Required unless `dryRun`. */
  apiKey?: string;
  /** Default `https://apix.spotzee.com/api/client`. `http:` only for loopback hosts. */
  baseUrl?: string;
  /** The pinned `Spotzee-Version` header. Default `2026-04-28`. */
  apiVersion?: string;
  /** Record and log events without any network. */
  dryRun?: boolean;

  /** Events per request, 1..100. Default 100. */
  maxBatchEvents?: number;
  /** Bytes per request body. Default 512 KiB. */
  maxBatchBytes?: number;
  /** Bytes per serialised event. Default 64 KiB. */
  maxEventBytes?: number;
  /** A partial batch is sent this long after its first event. Default 250 ms. */
  flushIntervalMs?: number;
  /** Concurrent requests. Default 4. */
  maxInFlight?: number;

  /** Queue bounds. Defaults 100,000 events and 64 MiB. */
  maxQueueEvents?: number;
  maxQueueBytes?: number;
  /** Default `drop-newest`. */
  overflow?: OverflowPolicy;

  /** Per-request timeout (connect + headers + body). Default 10 s. */
  requestTimeoutMs?: number;
  /**
   * How long a batch keeps retrying transient failures (5xx, network errors, timeouts), from its first
   * failure; then its events are dropped (`retries_exhausted`). Default 1 hour: an outage of minutes,
   * even most that last an hour, costs nothing, and every retry stays well inside Spotzee's 24 h
   * idempotency window. Memory stays bounded by the queue limits meanwhile. 0 never retries.
   */
  retryForMs?: number;
  /** An optional cap on attempts per batch (first included), on top of `retryForMs`. Default: none. */
  maxAttempts?: number;
  /** Backoff base and cap (the cap also bounds a `Retry-After` on a 5xx). Defaults 200 ms and 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Cap of every rate-limit pause (429, idempotency_in_progress), whatever `Retry-After` asks; also how
   * long one batch may be answered "in progress" before each further one counts as a failed attempt.
   * Default 60 s.
   */
  rateLimitMaxMs?: number;
  /** Random extra wait added to every rate-limit pause, 0..this. Default 500 ms (Spotzee's guidance). */
  rateLimitJitterMs?: number;
  /** Probe interval while halted by 401/403. Default 60 s. */
  haltProbeIntervalMs?: number;

  /** How long explicit idempotency keys are remembered, and how many. Defaults 24 h and 100,000. */
  dedupeWindowMs?: number;
  dedupeMaxKeys?: number;

  /** Maximum `name` length. Default 255. */
  maxNameLength?: number;
  /** Bytes of a response body that are read. Default 64 KiB. */
  maxResponseBytes?: number;
  /** Default deadline for `close()`. Default 10 s. */
  shutdownDeadlineMs?: number;

  /** Where the engine writes its (rare, one-per-problem) log lines. Default: console-free no-op. */
  logger?: DeliveryLogger;
}
