import { describe, expect, it } from '@jest/globals';
import { parseRetryAfterMs, rateLimitPauseMs, retryDelayMs } from '../../lib/delivery/backoff.js';

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
    expect(parseRetryAfterMs('99999999')).toBe(3_600_000);
  });

  it('pauses for Retry-After (10 s if absent), doubling on repeats up to the cap, plus jitter', () => {
    expect(rateLimitPauseMs(null, 1, 60_000, 500, () => 0)).toBe(10_000);
    expect(rateLimitPauseMs(1000, 1, 60_000, 500, () => 0.5)).toBe(1250);
    expect(rateLimitPauseMs(1000, 3, 60_000, 0, () => 0)).toBe(4000);
    expect(rateLimitPauseMs(1000, 30, 60_000, 0, () => 0)).toBe(60_000);
    // Never less than the server asked, even above the cap.
    expect(rateLimitPauseMs(90_000, 2, 60_000, 0, () => 0)).toBe(90_000);
  });
});
