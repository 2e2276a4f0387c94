/**
 * One log line per problem, not per event: the first occurrence of a key is logged at once, repeats
 * are counted and folded into the next line for that key, at most one per `intervalMs`.
 */
export class LogThrottle {
  readonly #entries = new Map<string, { lastAt: number; suppressed: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 1000,
  ) {}

  /** Returns the line to write (with a repeat count when some were folded), or null to stay quiet. */
  admit(key: string, message: string, now: number = Date.now()): string | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= this.maxKeys) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(key, { lastAt: now, suppressed: 0 });
      return message;
    }
    if (now - entry.lastAt < this.intervalMs) {
      entry.suppressed += 1;
      return null;
    }
    const repeats = entry.suppressed;
    entry.lastAt = now;
    entry.suppressed = 0;
    return repeats > 0 ? `${message} (${repeats} more like it since the last report)` : message;
  }
}
