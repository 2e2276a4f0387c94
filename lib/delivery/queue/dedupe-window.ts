/**
 * Remembers explicit idempotency keys for a time window and up to a count, so a domain event captured
 * twice (a retried request, two listeners) is sent once. A Map keeps insertion order, and every entry
 * lives the same window, so the oldest entries are also the first to expire: pruning is from the front.
 */
export class DedupeWindow {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** True when the key was remembered and is still within the window; otherwise remembers it. */
  seen(key: string, now: number = Date.now()): boolean {
    if (this.maxKeys === 0 || this.windowMs === 0) return false;
    this.#prune(now);
    const expiresAt = this.#seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return true;
    this.#seen.delete(key);
    this.#seen.set(key, now + this.windowMs);
    if (this.#seen.size > this.maxKeys) this.#seen.delete(this.#seen.keys().next().value as string);
    return false;
  }

  /** Forgets a key whose event was dropped, so capturing it again is not mistaken for a duplicate. */
  forget(key: string): void {
    this.#seen.delete(key);
  }

  /** Forgets every key (a test recorder's `clear()`: the next test starts from nothing). */
  clear(): void {
    this.#seen.clear();
  }

  #prune(now: number): void {
    for (const [key, expiresAt] of this.#seen) {
      if (expiresAt > now) return;
      this.#seen.delete(key);
    }
  }
}
