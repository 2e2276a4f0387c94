import type { EmulatorJournal } from './emulator-journal.js';

export interface WaitOptions {
  /** Default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_WAIT_MS = 10_000;

/**
 * Condition waits for tests: woken by the journal rather than polled, and failing with a message that
 * says what did arrive, because "timed out" alone sends the reader hunting.
 */
export class EmulatorWaits {
  private readonly pending = new Set<(error: Error) => void>();
  private stopped = false;

  constructor(
    private readonly journal: EmulatorJournal,
    private readonly describeState: () => string,
  ) {}

  waitFor(ready: () => boolean, description: string, options: WaitOptions): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('SpotzeeEmulator is stopped.'));
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    const waiting = this.journal.waitUntil(ready);
    return new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.pending.delete(fail);
        waiting.cancel();
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(
            new Error(
              `SpotzeeEmulator: timed out after ${timeoutMs} ms waiting for ${description}. ${this.progress()}`,
            ),
          ),
        timeoutMs,
      );
      this.pending.add(fail);
      void waiting.promise.then(() => {
        clearTimeout(timer);
        this.pending.delete(fail);
        resolve();
      });
    });
  }

  /** Rejects every pending wait and any later one. */
  stop(): void {
    this.stopped = true;
    for (const fail of [...this.pending]) fail(new Error('SpotzeeEmulator was stopped while waiting.'));
  }

  private progress(): string {
    const stats = this.journal.stats();
    const statuses = Object.entries(stats.statuses)
      .map(([status, count]) => `${status}×${count}`)
      .join(', ');
    return (
      `So far: ${stats.acceptedEvents} events accepted in ${stats.acceptedBatches} batches; ` +
      `${stats.requests} requests answered${statuses === '' ? '' : ` (${statuses})`}; ${stats.inFlight} in flight; ` +
      `emulator is ${this.describeState()}.`
    );
  }
}
