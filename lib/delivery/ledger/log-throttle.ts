/**
 * One log line per problem, not per event: the first occurrence of a key is logged at once, repeats
 * are counted and folded into the next line for that key, at most one per `intervalMs`.
 */
export class LogThrottle {
  readonly #entries = new Map<string, { lastAt: number; suppressed: number; message: string }>();
  /** Repeat lines of keys evicted to stay within `maxKeys`: their counts are still owed to the log. */
  #evicted: string[] = [];

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 1000,
  ) {}

  /** Returns the line to write (with a repeat count when some were folded), or null to stay quiet. */
  admit(key: string, message: string, now: number = Date.now()): string | null {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= this.maxKeys) this.#evict();
      this.#entries.set(key, { lastAt: now, suppressed: 0, message });
      return message;
    }
    if (now - entry.lastAt < this.intervalMs) {
      entry.suppressed += 1;
      entry.message = message;
      return null;
    }
    const repeats = entry.suppressed;
    entry.lastAt = now;
    entry.suppressed = 0;
    return repeats > 0 ? `${message} (${repeats} more like it since the last report)` : message;
  }

  /** True when an evicted key left repeats to report: cheap, for callers that schedule `takeRepeats()`. */
  get holdsEvictedRepeats(): boolean {
    return this.#evicted.length > 0;
  }

  /** Forgets the oldest key; its folded repeats are kept as a line, so the counts in the log still add up. */
  #evict(): void {
    const [key, oldest] = this.#entries.entries().next().value as [string, { suppressed: number; message: string }];
    this.#entries.delete(key);
    if (oldest.suppressed > 0) {
      this.#evicted.push(`${oldest.message} (${oldest.suppressed} more like it since the last report)`);
    }
  }

  /**
   * The folded repeats as lines (`… (5 more like it since the last report)`), and forgets them: for a
   * timer, so a burst that stops is still reported, and for shutdown, so none is left unsaid.
   */
  takeRepeats(now: number = Date.now()): string[] {
    const lines = this.#evicted;
    this.#evicted = [];
    for (const entry of this.#entries.values()) {
      if (entry.suppressed === 0) continue;
      const count = entry.suppressed;
      lines.push(`${entry.message} (${count} more like it since the last report)`);
      entry.suppressed = 0;
      entry.lastAt = now;
    }
    return lines;
  }
}
