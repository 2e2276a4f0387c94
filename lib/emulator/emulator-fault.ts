/**
 * Faults the emulator can inject, so clients can be tested against the failures a real network and a
 * real Spotzee produce. None of them is remembered by idempotency unless the batch was accepted
 * (`lost_response`, `slow`, `raw` with `accept`), which is exactly what the real server does.
 */

/** Answer with an error status and a problem+json body instead of processing. Default 503. */
export interface StatusFault {
  kind: 'status';
  /** 400..599. Default 503. */
  status?: number;
  /** Problem `code`; defaults per status (`service_unavailable` for 503, `internal_error` for other 5xx). */
  code?: string;
  message?: string;
  /**
   * A `Retry-After` header, sent as given: seconds (`3600`) or any string, so clients can be tested
   * against `0`, `-5`, a past date or garbage. Omitted by default.
   */
  retryAfter?: number | string;
  /**
   * For a 4xx: remember it for the request's `Idempotency-Key` like Spotzee does, so later requests
   * with that key (and the same body) get it replayed with `Idempotent-Replayed: true` — after the
   * fault is used up too. That is what a halted client probing under its old key sees for 24 h.
   */
  remember?: boolean;
}

/** Answer `429 rate_limited`. */
export interface RateLimitFault {
  kind: 'rate_limit';
  /** `Retry-After` in seconds; fractions allowed (0.05) for fast tests; `null` omits the header. Default 1. */
  retryAfterSeconds?: number | null;
  /**
   * The `Retry-After` header exactly as given, overriding `retryAfterSeconds`: `'0'`, `'-5'`, a past
   * HTTP date, garbage, or several values (an array sends the header once per value).
   */
  retryAfter?: string | readonly string[];
}

/** Reset the connection after the request arrived; nothing is accepted. */
export interface ResetFault {
  kind: 'reset';
}

/** Accept the batch (and remember its key as a 204), then reset the connection without answering. */
export interface LostResponseFault {
  kind: 'lost_response';
}

/**
 * Process normally, but only after `delayMs`. The idempotency key is "in progress" meanwhile, and the
 * batch is accepted even if the client gave up, so a retry sees `409 idempotency_in_progress` or a replay.
 */
export interface SlowFault {
  kind: 'slow';
  /** How long processing takes; also what `Retry-After` of a concurrent `idempotency_in_progress` is based on. */
  delayMs: number;
  /**
   * Also hold the answer until this settles: an explicit gate for tests that must act while the request is
   * in flight, however loaded the machine (a wall-clock window alone can close before the test acts).
   */
  until?: PromiseLike<unknown>;
}

/** Answer exactly this, for tests of malformed, surprising or huge responses. */
export interface RawFault {
  kind: 'raw';
  status: number;
  /** Sent as given; `X-Request-Id` is added unless set here. */
  headers?: Record<string, string>;
  /** Strings and bytes are sent as they are; anything else is JSON-encoded (with a JSON content type). */
  body?: string | Uint8Array | object | null;
  /** Process and accept the batch normally first, then send this response instead of the real one. */
  accept?: boolean;
}

export type EmulatorFault = StatusFault | RateLimitFault | ResetFault | LostResponseFault | SlowFault | RawFault;

export type FaultKind = EmulatorFault['kind'];

export const FAULT_KINDS: readonly FaultKind[] = ['status', 'rate_limit', 'reset', 'lost_response', 'slow', 'raw'];

/** What a fault matcher sees. Headers are the redacted ones: the API key is never exposed. */
export interface FaultRequest {
  /** 1-based arrival number since start (or the last `reset()`). */
  seq: number;
  method: string;
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  idempotencyKey: string | null;
  /** The raw body, decoded as UTF-8. */
  body: string;
  bodyBytes: number;
  /** How many requests carried this `Idempotency-Key` (for the same API key) so far, this one included; 0 without a key. */
  attempt: number;
}

export type FaultMatcher = (request: FaultRequest) => boolean;

export interface InjectOptions {
  /** How many matching requests get the fault. Default 1; `Infinity` until cancelled. */
  times?: number;
  /** Only requests for which this returns true get the fault (and count against `times`). */
  match?: FaultMatcher;
}

export interface WeightedFault {
  fault: EmulatorFault;
  /** Relative weight, > 0. */
  weight: number;
}

export interface ChaosOptions {
  /** Probability, 0..1, that a request gets a fault. */
  rate: number;
  /** Faults to pick from, plain (weight 1) or weighted. Default: a mix of 500, 503, 429, reset and lost response. */
  faults?: ReadonlyArray<EmulatorFault | WeightedFault>;
  /** The same seed and the same request order give the same faults. Default 1. */
  seed?: number;
  /** Only these requests are candidates; others neither get a fault nor consume randomness. */
  match?: FaultMatcher;
}

/** Returned by `inject()`: how much of the fault is left, and a way to withdraw it. */
export interface InjectedFaultHandle {
  readonly fault: EmulatorFault;
  /** Requests that received it so far. */
  readonly hits: number;
  readonly remaining: number;
  cancel(): void;
}
