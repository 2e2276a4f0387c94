/** The `X-RateLimit-*` budget the emulator reports, and optionally enforces, per API key. */
export interface RateLimitOptions {
  /** Requests per window. Default 25,000 (Enterprise: 2,500 req/s over a 10 s window). */
  limit?: number;
  /** Default 10. */
  windowSeconds?: number;
  /** `X-RateLimit-Tier`. Default `enterprise`. */
  tier?: string;
  /**
   * Answer `429 rate_limited` (with `Retry-After` up to the window's end) once the budget is spent.
   * Default false: tests of other behaviour must never trip over it by accident.
   */
  enforce?: boolean;
}

export interface RateLimitDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Seconds until the window resets; the `Retry-After` of a 429. */
  resetSeconds: number;
}

interface Window {
  startedAt: number;
  count: number;
}

/** A fixed window per key: simple, and real enough that `Remaining` goes down and `Reset` counts down. */
export class RateLimitWindow {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly tier: string;
  private readonly enforce: boolean;
  private windows = new Map<string, Window>();

  constructor(
    options: RateLimitOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limit = options.limit ?? 25_000;
    this.windowMs = (options.windowSeconds ?? 10) * 1000;
    this.tier = options.tier ?? 'enterprise';
    this.enforce = options.enforce ?? false;
    if (!(Number.isInteger(this.limit) && this.limit > 0) || !(this.windowMs > 0)) {
      throw new TypeError(
        'SpotzeeEmulator: rateLimit.limit must be a positive integer and rateLimit.windowSeconds a positive number.',
      );
    }
  }

  take(scope: string): RateLimitDecision {
    const now = this.now();
    let window = this.windows.get(scope);
    if (window === undefined || now - window.startedAt >= this.windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows.set(scope, window);
    }
    const allowed = !this.enforce || window.count < this.limit;
    if (allowed) window.count += 1;
    const resetSeconds = Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
    return {
      allowed,
      resetSeconds,
      headers: {
        'x-ratelimit-limit': String(this.limit),
        'x-ratelimit-remaining': String(Math.max(0, this.limit - window.count)),
        'x-ratelimit-reset': String(resetSeconds),
        'x-ratelimit-tier': this.tier,
      },
    };
  }

  clear(): void {
    this.windows = new Map();
  }
}
