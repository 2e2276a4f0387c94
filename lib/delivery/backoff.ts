/**
 * Delay before the next attempt after `failures` transient failures (1 = first failure): "full jitter",
 * a uniform draw in [0, min(cap, base * 2^(failures-1))], which spreads retries from many instances
 * better than a fixed exponential.
 */
export function retryDelayMs(failures: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 40));
  return Math.floor(random() * ceiling);
}

/** Used when a 429 carries no (readable) Retry-After, per Spotzee's guidance. */
export const DEFAULT_RETRY_AFTER_MS = 10_000;
/** A sanity bound on what a server may ask us to wait. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/** `Retry-After` as delta-seconds (fractions accepted) or an HTTP date; null when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, now: number = Date.now()): number | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === '') return null;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.min(Math.round(Number(value) * 1000), MAX_RETRY_AFTER_MS);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * A rate-limit pause: at least what the server asked, doubled for each consecutive pause (up to the
 * cap, but never below the server's ask), plus 0..jitter ms so instances do not return in lockstep.
 */
export function rateLimitPauseMs(
  retryAfterMs: number | null,
  consecutive: number,
  capMs: number,
  jitterMs: number,
  random: () => number,
): number {
  const asked = retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  const doubled = Math.min(capMs, asked * 2 ** Math.min(Math.max(consecutive - 1, 0), 20));
  return Math.max(asked, doubled) + Math.floor(random() * jitterMs);
}
