/** A response the emulator decided on, before it is written (or deliberately not written) to the socket. */
export interface EmulatorResponse {
  status: number;
  /**
   * Lower-case names: HTTP headers are case-insensitive and Node would otherwise send duplicates. An
   * array sends the header once per value (a `Retry-After` sent twice).
   */
  headers: Record<string, string | readonly string[]>;
  body?: Buffer;
  /** The problem `code`, for records and stats. */
  code?: string;
  /** True when this is an idempotent replay of an earlier response. */
  replayed?: boolean;
}

/** `Retry-After` as Spotzee sends it (whole seconds), but fractions survive so tests can use 0.05 s. */
export function formatRetryAfter(seconds: number): string {
  return String(Math.round(seconds * 1000) / 1000);
}
