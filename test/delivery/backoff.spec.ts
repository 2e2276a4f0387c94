import { describe, expect, it } from '@jest/globals';
import { parseRetryAfterMs, rateLimitPauseMs, retryDelayMs } from '../../lib/delivery/dispatch/backoff.js';

describe('backoff', () => {
  it('uses full jitter under an exponential ceiling with a cap', () => {
    expect(retryDelayMs(1, 200, 30_000, () => 0.999999)).toBe(199);
    expect(retryDelayMs(3, 200, 30_000, () => 0.5)).toBe(400);
    expect(retryDelayMs(20, 200, 30_000, () => 0.5)).toBe(15_000);
    expect(retryDelayMs(5, 200, 30_000, () => 0)).toBe(0);
  });

  it('parses Retry-After as seconds (fractions too) or an HTTP date', () => {
    expect(parseRetryAfterMs('2')).toBe(2000);
    expect(parseRetryAfterMs('0.05')).toBe(50);
    expect(parseRetryAfterMs(undefined)).toBeNull();
    expect(parseRetryAfterMs('soon')).toBeNull();
    const now = Date.parse('2026-04-28T10:00:00Z');
    expect(parseRetryAfterMs('Tue, 28 Apr 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfterMs('99999999')).toBe(99_999_999_000);
  });

  it('reads a Retry-After with surrounding whitespace (a proxy may pad the value)', () => {
    const now = Date.parse('2026-04-28T10:00:00Z');
    expect(parseRetryAfterMs(' 2')).toBe(2000);
    expect(parseRetryAfterMs('\t3 ')).toBe(3000);
    expect(parseRetryAfterMs('  Tue, 28 Apr 2026 10:00:07 GMT', now)).toBe(7000);
  });

  it('treats an HTTP date equal to now as absent: a zero wait would retry at once', () => {
    const now = Date.parse('2026-04-28T10:00:00Z');
    expect(parseRetryAfterMs('Tue, 28 Apr 2026 10:00:00 GMT', now)).toBeNull();
    expect(parseRetryAfterMs('Tue, 28 Apr 2026 10:00:01 GMT', now)).toBe(1000);
  });

  it('treats Retry-After 0, negative, past, garbage as absent, and reads only the first of several values', () => {
    const now = Date.parse('2026-04-28T10:00:00Z');
    for (const value of ['0', '0.0', '-5', '-0.5', 'Tue, 28 Apr 2026 09:59:00 GMT', 'soon', '', '1e3', 'NaN']) {
      expect([value, parseRetryAfterMs(value, now)]).toEqual([value, null]);
    }
    expect(parseRetryAfterMs('5, 10')).toBe(5000);
    expect(parseRetryAfterMs('0, 10')).toBeNull();
    expect(parseRetryAfterMs('Tue, 28 Apr 2026 10:00:07 GMT, Tue, 28 Apr 2026 11:00:00 GMT', now)).toBe(7000);
  });

  it('pauses for Retry-After (10 s if absent), doubling on repeats up to the cap, plus jitter', () => {
    const ms = (...args: Parameters<typeof rateLimitPauseMs>) => rateLimitPauseMs(...args).ms;
    expect(ms(null, 1, 60_000, 500, () => 0)).toBe(10_000);
    expect(ms(1000, 1, 60_000, 500, () => 0.5)).toBe(1250);
    expect(ms(1000, 3, 60_000, 0, () => 0)).toBe(4000);
    expect(ms(1000, 30, 60_000, 0, () => 0)).toBe(60_000);
    // What the server asks is capped too: one Retry-After: 86400 must not stall delivery for a day.
    expect(rateLimitPauseMs(90_000, 2, 60_000, 0, () => 0)).toEqual({ ms: 60_000, capped: true });
    expect(rateLimitPauseMs(86_400_000, 1, 60_000, 500, () => 0.5)).toEqual({ ms: 60_250, capped: true });
    expect(rateLimitPauseMs(1000, 30, 60_000, 0, () => 0).capped).toBe(false);
    // Asking for exactly the cap is honoured in full, so it is not reported as cut.
    expect(rateLimitPauseMs(60_000, 1, 60_000, 0, () => 0)).toEqual({ ms: 60_000, capped: false });
    expect(rateLimitPauseMs(60_001, 1, 60_000, 0, () => 0)).toEqual({ ms: 60_000, capped: true });
  });
});
