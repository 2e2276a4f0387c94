/** What a transient failure leaves of the limit: CUBIC's β, gentler than halving on random loss. */
export const DECREASE_FACTOR = 0.7;

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
 * Pure bookkeeping, no clock: callers number their requests through `launch()`.
 */
export class ConcurrencyLimit {
  #limit: number;
  /** Requests launched up to this number were in flight when the limit was last cut. */
  #cutAtLaunch = 0;
  #launches = 0;

  constructor(readonly max: number) {
    this.#limit = max;
  }

  /** Requests allowed in flight now: an integer in 1..max. */
  get limit(): number {
    return Math.floor(this.#limit);
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
