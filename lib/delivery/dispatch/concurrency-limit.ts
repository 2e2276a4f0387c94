/** What a transient failure leaves of the limit: CUBIC's β, gentler than halving on random loss. */
export const DECREASE_FACTOR = 0.7;
/** A request is slow once it has taken this many times the usual answer time... */
export const SLOW_FACTOR = 4;
/** ...but never before this: loopback answers in a millisecond, and a busy event loop is not a slow server. */
export const MIN_SLOW_MS = 250;
/** Weight of each new answer time in the running average. */
const LATENCY_WEIGHT = 0.2;

/**
 * How many requests may be in flight, adapted to how the server copes: additive increase,
 * multiplicative decrease (the rule TCP uses for the same problem). Each answered request adds
 * `1/limit`, so the limit grows by one per round of successful requests; a transient failure (5xx,
 * reset, timeout, 429) cuts it to 70%, at most once per round: failures of requests launched before
 * the last cut were already answered by it. A server failing one request in five thus keeps most of
 * the slots, one failing most of them soon gets a single request at a time. The limit stays within
 * 1..`max`: a struggling server always sees one request (its recovery is noticed) and never more than
 * the user allowed.
 *
 * It also says when a request in flight counts as slow (most likely waiting out its timeout): after
 * `SLOW_FACTOR` times the running average answer time. A slow request stops counting against the
 * limit, so one stuck answer cannot hold back the requests behind it.
 *
 * Pure bookkeeping, no clock: callers number their requests through `launch()` and report durations.
 */
export class ConcurrencyLimit {
  #limit: number;
  /** Requests launched up to this number were in flight when the limit was last cut. */
  #cutAtLaunch = 0;
  #launches = 0;
  /** Running average answer time in ms; null until the first answer. */
  #latencyMs: number | null = null;

  constructor(readonly max: number) {
    this.#limit = max;
  }

  /** Requests allowed in flight now: an integer in 1..max. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** After how long a request in flight is slow: `SLOW_FACTOR` × the usual answer time, within bounds. */
  slowAfterMs(capMs: number): number {
    if (this.#latencyMs === null) return capMs;
    return Math.min(capMs, Math.max(MIN_SLOW_MS, Math.ceil(SLOW_FACTOR * this.#latencyMs)));
  }

  /** A request got an answer (any answer) after `durationMs`. */
  answeredIn(durationMs: number): void {
    const previous = this.#latencyMs;
    this.#latencyMs = previous === null ? durationMs : previous + LATENCY_WEIGHT * (durationMs - previous);
  }

  /** A request leaves; the number it gets is handed back with its failure. */
  launch(): number {
    this.#launches += 1;
    return this.#launches;
  }

  /** A request got an answer that was not a transient failure. */
  succeeded(): void {
    this.#limit = Math.min(this.max, this.#limit + 1 / this.#limit);
  }

  /** The request launched as number `launch` failed transiently. True when this cut the limit. */
  failed(launch: number): boolean {
    if (launch <= this.#cutAtLaunch) return false;
    this.#cutAtLaunch = this.#launches;
    const before = this.limit;
    this.#limit = Math.max(1, this.#limit * DECREASE_FACTOR);
    return this.limit < before;
  }
}
