/**
 * Delay before the next attempt after `failures` transient failures (1 = first failure): "full jitter",
 * a uniform draw in [0, min(cap, base * 2^(failures-1))], which spreads retries from many instances
 * better than a fixed exponential.
 */
export function retryDelayMs(failures: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 40));
  return Math.floor(random() * ceiling);
}

/** Used when a 429 carries no (usable) Retry-After, per Spotzee's guidance. */
export const DEFAULT_RETRY_AFTER_MS = 10_000;

const DELTA_SECONDS = /^(\d+(?:\.\d+)?)\s*(?:,|$)/;
// An IMF-fixdate (`Tue, 28 Apr 2026 10:00:07 GMT`); its own comma is why values cannot just be split on ','.
const HTTP_DATE = /^[A-Za-z]{3},\s*\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{2}:\d{2}:\d{2}\s+GMT/;

/**
 * `Retry-After` as delta-seconds (fractions accepted) or an HTTP date, in ms; null when absent or not a
 * usable wait. Only the first value counts when several came (`5, 10`, or two headers joined). Zero, a
 * negative number, a date in the past and garbage are all "absent": honouring them would retry at once,
 * and a server (or proxy) repeating them would be hammered in a tight loop.
 */
export function parseRetryAfterMs(header: string | undefined, now: number = Date.now()): number | null {
  if (header === undefined) return null;
  const value = header.trim();
  const seconds = DELTA_SECONDS.exec(value);
  if (seconds !== null) {
    const ms = Math.round(Number(seconds[1]) * 1000);
    return ms > 0 && Number.isFinite(ms) ? ms : null;
  }
  const date = HTTP_DATE.exec(value);
  if (date === null) return null;
  const at = Date.parse(date[0]);
  return Number.isNaN(at) || at <= now ? null : at - now;
}

export interface PauseLength {
  ms: number;
  /** The server asked for more than `capMs` (or doubling reached it): the pause was cut to the cap. */
  capped: boolean;
}

/**
 * A rate-limit pause: what the server asked (10 s when it gave no usable value), doubled for each
 * consecutive pause, never above `capMs` whatever the server asked (one `Retry-After: 86400` must not
 * stall delivery for a day), plus 0..jitter ms so instances do not return in lockstep.
 */
export function rateLimitPauseMs(
  retryAfterMs: number | null,
  consecutive: number,
  capMs: number,
  jitterMs: number,
  random: () => number,
): PauseLength {
  const asked = retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  const wanted = Math.max(asked, asked * 2 ** Math.min(Math.max(consecutive - 1, 0), 20));
  return { ms: Math.min(capMs, wanted) + Math.floor(random() * jitterMs), capped: asked > capMs };
}
