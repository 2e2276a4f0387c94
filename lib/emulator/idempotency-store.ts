import type { EmulatorResponse } from './emulator-response.js';

/** A request that claimed a key and is still running; `complete` or `abandon` it exactly once. */
export interface IdempotencyTicket {
  readonly key: string;
  readonly fingerprint: string;
  /** When the running request expects to answer (epoch ms); feeds `Retry-After` of concurrent retries. */
  expectedDoneAt: number;
}

export type IdempotencyClaim =
  | { state: 'claimed'; ticket: IdempotencyTicket }
  | { state: 'replay'; response: EmulatorResponse }
  | { state: 'mismatch' }
  | { state: 'in_progress'; retryAfterMs: number };

interface CompletedEntry {
  fingerprint: string;
  response: EmulatorResponse;
  expiresAt: number;
}

/**
 * Idempotency memory, per API key (the caller folds the key's scope into `key`). Two maps: running
 * requests, and completed ones in completion order. With one TTL for all, completion order is expiry
 * order, so expired entries are swept from the front in amortised O(1) — no scans, however many keys.
 */
export class IdempotencyStore {
  private running = new Map<string, IdempotencyTicket>();
  private completed = new Map<string, CompletedEntry>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  claim(key: string, fingerprint: string, expectedDurationMs: number): IdempotencyClaim {
    const now = this.now();
    this.sweep(now);
    const done = this.completed.get(key);
    if (done !== undefined) {
      return done.fingerprint === fingerprint ? { state: 'replay', response: done.response } : { state: 'mismatch' };
    }
    const running = this.running.get(key);
    if (running !== undefined) {
      return running.fingerprint === fingerprint
        ? { state: 'in_progress', retryAfterMs: Math.max(0, running.expectedDoneAt - now) }
        : { state: 'mismatch' };
    }
    const ticket: IdempotencyTicket = { key, fingerprint, expectedDoneAt: now + expectedDurationMs };
    this.running.set(key, ticket);
    return { state: 'claimed', ticket };
  }

  /** Remembers the response for replays. A ticket from before `clear()` is ignored. */
  complete(ticket: IdempotencyTicket, response: EmulatorResponse): void {
    if (this.running.get(ticket.key) !== ticket) return;
    this.running.delete(ticket.key);
    this.completed.set(ticket.key, { fingerprint: ticket.fingerprint, response, expiresAt: this.now() + this.ttlMs });
  }

  /** Releases the key without remembering anything, so a retry is processed afresh (5xx, 429, faults). */
  abandon(ticket: IdempotencyTicket): void {
    if (this.running.get(ticket.key) === ticket) this.running.delete(ticket.key);
  }

  clear(): void {
    this.running = new Map();
    this.completed = new Map();
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.completed) {
      if (entry.expiresAt > now) return;
      this.completed.delete(key);
    }
  }
}
