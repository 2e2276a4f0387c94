import type { BatchAttempt, DeliveryEvents, DeliveryHealth, DeliveryStats } from '../delivery/ledger/outcomes.js';
import { LIBRARY_VERSION } from '../delivery/version.js';
import { EventNameLimit } from './event-name-limit.js';
import type {
  BatchObservableCallbackLike,
  BatchObservableResultLike,
  MeterProviderLike,
  ObservableLike,
} from './meter-like.js';
import { SPOTZEE_METRICS as N } from './metric-names.js';

/** What is instrumented: the engine's public surface (a `DeliveryEngine`, the Nest module's included). */
export interface MetricsSource {
  stats(): DeliveryStats;
  health(): DeliveryHealth;
  on<K extends keyof DeliveryEvents>(type: K, listener: DeliveryEvents[K]): () => void;
}

export interface DeliveryMetricsOptions {
  meterProvider: MeterProviderLike;
  /** Distinct `event` attribute values before the rest share `_other`. Default 100. */
  maxEventNames?: number;
}

export interface DeliveryMetricsHandle {
  /** Stops recording and withdraws the observable callbacks. Idempotent. */
  stop(): void;
}

export const DEFAULT_MAX_EVENT_NAMES = 100;
const METER_NAME = 'nestjs-spotzee';
/** The boundaries OpenTelemetry's HTTP client duration convention advises. */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const ATTEMPT_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20];
/** Decisions after which a batch (that key, those bytes) is never sent again. */
const FINAL_DECISIONS: ReadonlySet<BatchAttempt['decision']> = new Set(['delivered', 'rejected', 'split', 'dropped']);

/**
 * Records the engine's delivery numbers as OpenTelemetry metrics. Totals are read from `stats()` when
 * a reader collects, so they match it exactly; per-`event` and per-`reason` splits are tallied from the
 * outcome listeners in plain maps. Nothing touches the meter on the capture path: the only work per
 * event is a map increment when it settles, and the histograms are recorded once per HTTP attempt.
 */
export function instrumentDeliveryMetrics(
  source: MetricsSource,
  options: DeliveryMetricsOptions,
): DeliveryMetricsHandle {
  const maxEventNames = options.maxEventNames ?? DEFAULT_MAX_EVENT_NAMES;
  if (!Number.isInteger(maxEventNames) || maxEventNames < 1) {
    throw new TypeError(`metrics.maxEventNames must be a positive integer (got ${String(options.maxEventNames)}).`);
  }
  const meter = options.meterProvider.getMeter(METER_NAME, LIBRARY_VERSION);
  const names = new EventNameLimit(maxEventNames);
  const delivered = new Map<string, number>();
  const rejected = new ReasonTally();
  const dropped = new ReasonTally();

  const count = (description: string, name: string, unit = '{event}') =>
    meter.createObservableCounter(name, { description, unit });
  const gauge = (description: string, name: string, unit: string) =>
    meter.createObservableGauge(name, { description, unit });
  const instruments = {
    captured: count('Events that entered the engine, rejected at capture included.', N.captured),
    delivered: count('Events Spotzee accepted.', N.delivered),
    rejected: count('Events refused as permanently invalid, by reason.', N.rejected),
    dropped: count('Valid events that were not delivered, by reason.', N.dropped),
    deduplicated: count(
      'Events not sent again because their idempotency key was captured within the window (not failures).',
      N.deduplicated,
    ),
    discarded: count('Events of failed requests, thrown away uncommitted.', N.discarded),
    retries: count('HTTP attempts that were retries of a batch.', N.retries, '{request}'),
    rateLimited: count('Answers that paused all sending (429, idempotency in progress).', N.rateLimited, '{response}'),
    queueDepth: gauge('Events captured and not settled yet.', N.queueDepth, '{event}'),
    queueSize: gauge('Bytes of the events captured and not settled yet.', N.queueSize, 'By'),
    inFlight: gauge('HTTP requests in flight.', N.inFlight, '{request}'),
    halted: gauge('1 while sending is halted by a configuration problem.', N.halted, '1'),
    paused: gauge('1 while sending is paused by a rate limit.', N.paused, '1'),
  };
  const duration = meter.createHistogram(N.requestDuration, {
    description: 'Duration of one POST /events attempt.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
  });
  const attempts = meter.createHistogram(N.attempts, {
    description: 'Attempts a batch took until it was settled.',
    unit: '{attempt}',
    advice: { explicitBucketBoundaries: ATTEMPT_BUCKETS },
  });

  const observe: BatchObservableCallbackLike = (result: BatchObservableResultLike) => {
    const stats = source.stats();
    const i = instruments;
    result.observe(i.captured, stats.captured);
    for (const [event, value] of delivered) result.observe(i.delivered, value, { event });
    rejected.observe(result, i.rejected);
    dropped.observe(result, i.dropped);
    result.observe(i.deduplicated, stats.deduplicated);
    result.observe(i.discarded, stats.discarded);
    result.observe(i.retries, stats.retries);
    result.observe(i.rateLimited, stats.rateLimited);
    result.observe(i.queueDepth, stats.pending);
    result.observe(i.queueSize, stats.queuedBytes);
    result.observe(i.inFlight, stats.inFlightRequests);
    result.observe(i.halted, stats.halted ? 1 : 0);
    result.observe(i.paused, source.health().pausedUntil === null ? 0 : 1);
  };
  const observables: ObservableLike[] = Object.values(instruments);
  meter.addBatchObservableCallback(observe, observables);

  const unsubscribe = [
    source.on('delivered', (outcome) => {
      const event = names.label(outcome.event.name);
      delivered.set(event, (delivered.get(event) ?? 0) + 1);
    }),
    source.on('rejected', (outcome) => rejected.add(names.label(outcome.event.name), outcome.reason)),
    source.on('dropped', (outcome) => dropped.add(names.label(outcome.event.name), outcome.reason)),
    source.on('attempt', (attempt) => {
      const attributes: Record<string, string | number> = { decision: attempt.decision };
      if (attempt.status !== null) attributes['http.response.status_code'] = attempt.status;
      duration.record(attempt.durationMs / 1000, attributes);
      if (FINAL_DECISIONS.has(attempt.decision)) attempts.record(attempt.attempt, { decision: attempt.decision });
    }),
  ];

  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      for (const off of unsubscribe) off();
      meter.removeBatchObservableCallback(observe, observables);
    },
  };
}

/** Cumulative counts per (`event`, `reason`); both are bounded, so the pairs are too. */
class ReasonTally {
  readonly #byEvent = new Map<string, Map<string, number>>();

  add(event: string, reason: string): void {
    let byReason = this.#byEvent.get(event);
    if (byReason === undefined) this.#byEvent.set(event, (byReason = new Map()));
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }

  observe(result: BatchObservableResultLike, instrument: ObservableLike): void {
    for (const [event, byReason] of this.#byEvent) {
      for (const [reason, value] of byReason) result.observe(instrument, value, { event, reason });
    }
  }
}
