/**
 * Instrument names, in OpenTelemetry's semantic-convention style: a `spotzee.` namespace, dot-separated
 * lower-case words, units in UCUM (`s`, `By`, `{event}`), no `_total` suffix (exporters add it). A
 * Prometheus exporter shows `spotzee.events.delivered` as `spotzee_events_delivered_total`.
 */
export const SPOTZEE_METRICS = {
  /** Counter `{event}`: events that entered the engine (rejected at capture included): `stats().captured`. */
  captured: 'spotzee.events.captured',
  /** Counter `{event}`, attribute `event`. */
  delivered: 'spotzee.events.delivered',
  /** Counter `{event}`, attributes `event` and `reason`. */
  rejected: 'spotzee.events.rejected',
  /** Counter `{event}`, attributes `event` and `reason`. */
  dropped: 'spotzee.events.dropped',
  /** Counter `{event}`: repeated explicit idempotency keys, not sent and not dropped: `stats().deduplicated`. */
  deduplicated: 'spotzee.events.deduplicated',
  /** Counter `{event}`: events of failed requests, thrown away uncommitted: `stats().discarded`. */
  discarded: 'spotzee.events.discarded',
  /** Counter `{request}`: HTTP attempts that were retries: `stats().retries`. */
  retries: 'spotzee.batch.retries',
  /** Counter `{response}`: answers that paused sending (429, idempotency in progress): `stats().rateLimited`. */
  rateLimited: 'spotzee.batch.rate_limited',
  /** Histogram `s`, attributes `decision` and `http.response.status_code` (absent without a response). */
  requestDuration: 'spotzee.batch.request.duration',
  /** Histogram `{attempt}`: attempts a batch took until it was settled, attribute `decision`. */
  attempts: 'spotzee.batch.attempts',
  /** Gauge `{event}`: captured and not settled yet (queued, in flight, waiting to retry). */
  queueDepth: 'spotzee.queue.depth',
  /** Gauge `By`: bytes of those events. */
  queueSize: 'spotzee.queue.size',
  /** Gauge `{request}`: requests in flight. */
  inFlight: 'spotzee.requests.in_flight',
  /** Gauge, 1 while sending is halted (a refused key, a wrong URL or version), else 0. */
  halted: 'spotzee.delivery.halted',
  /** Gauge, 1 while sending is paused by a rate limit, else 0. */
  paused: 'spotzee.delivery.paused',
} as const;

export type SpotzeeMetricName = (typeof SPOTZEE_METRICS)[keyof typeof SPOTZEE_METRICS];
