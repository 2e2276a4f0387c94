interface Waiter {
  /** The last sequence number committed before the `flush()` call. */
  readonly target: number;
  /** Events up to `target` still without an outcome. */
  remaining: number;
  /** True when every awaited event got its outcome; false when released early (halt, deadline). */
  readonly resolve: (settledAll: boolean) => void;
}

/**
 * Pending `flush()` calls. Each waits only for the events committed before it, counted down as they get
 * their outcomes, so a steady stream of new captures can never keep a flush waiting.
 */
export class FlushWaiters {
  readonly #waiting: Waiter[] = [];

  get size(): number {
    return this.#waiting.length;
  }

  add(target: number, remaining: number, resolve: (settledAll: boolean) => void): void {
    this.#waiting.push({ target, remaining, resolve });
  }

  /** A flush's deadline passed: it stops waiting (resolved `false`). */
  release(resolve: (settledAll: boolean) => void): void {
    const index = this.#waiting.findIndex((waiter) => waiter.resolve === resolve);
    if (index < 0) return;
    this.#waiting.splice(index, 1);
    resolve(false);
  }

  /** An event got its outcome. Compacts in place: this runs once per delivered event. */
  settled(seq: number): void {
    const waiting = this.#waiting;
    if (waiting.length === 0) return;
    let kept = 0;
    for (const waiter of waiting) {
      if (seq <= waiter.target) waiter.remaining -= 1;
      if (waiter.remaining > 0) waiting[kept++] = waiter;
      else waiter.resolve(true);
    }
    waiting.length = kept;
  }

  /** Resolves every waiter now: the engine finished, or halted with events that cannot be sent. */
  releaseAll(): void {
    for (const waiter of this.#waiting.splice(0)) waiter.resolve(waiter.remaining <= 0);
  }
}
