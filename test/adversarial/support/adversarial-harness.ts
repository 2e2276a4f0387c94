import { afterEach, expect } from '@jest/globals';
import { DeliveryEngine } from '../../../lib/delivery/index.js';
import type { BatchAttempt, DeliveryHealth, DeliveryOptions, EventOutcome } from '../../../lib/delivery/index.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { AdversarialServer } from './adversarial-server.js';
import type { Answer } from './adversarial-server.js';

/** The key every engine here uses; a server echoing it back (in any case) must never get it shown. */
export const ADVERSARY_KEY = 'sk_live_adversary_9c41f7d2ab';

/** Small waits everywhere, still real HTTP over loopback. */
const FAST: DeliveryOptions = {
  flushIntervalMs: 5,
  requestTimeoutMs: 1500,
  retryBaseMs: 5,
  retryMaxMs: 40,
  rateLimitJitterMs: 0,
  rateLimitMaxMs: 300,
  haltProbeIntervalMs: 100,
  maxAttempts: 3,
  shutdownDeadlineMs: 3000,
};

export interface Adversary {
  server: AdversarialServer;
  engine: DeliveryEngine;
  logger: RecordingLogger;
  outcomes: EventOutcome[];
  attempts: BatchAttempt[];
  healths: DeliveryHealth[];
  /** Captures `count` valid events whose `data.seq` is 0..count-1 (in order). */
  capture(count: number): void;
  /** Each captured event's outcome (`delivered`, `rejected:reason`, `dropped:reason`, or `pending`), by seq. */
  fates(): string[];
  /** Everything an operator or a listener could read, as one string, to search for the key. */
  everythingVisible(): string;
}

const running: Adversary[] = [];

export async function startAdversary(
  answer: Answer,
  options: DeliveryOptions = {},
  serverOptions: { beforeBody?: boolean } = {},
): Promise<Adversary> {
  const server = await AdversarialServer.start(answer, serverOptions);
  const logger = new RecordingLogger();
  const engine = new DeliveryEngine({
    apiKey: ADVERSARY_KEY,
    baseUrl: server.baseUrl,
    logger,
    ...FAST,
    ...options,
  });
  const outcomes: EventOutcome[] = [];
  const attempts: BatchAttempt[] = [];
  const healths: DeliveryHealth[] = [];
  const seqs = new Map<string, number>();
  engine.on('outcome', (outcome) => outcomes.push(outcome));
  engine.on('attempt', (attempt) => attempts.push(attempt));
  engine.on('health', (health) => healths.push(health));
  let next = 0;
  const adversary: Adversary = {
    server,
    engine,
    logger,
    outcomes,
    attempts,
    healths,
    capture(count) {
      for (let i = 0; i < count; i++) {
        const seq = next++;
        const result = engine.capture({ name: 'order_placed', externalId: `user_${seq}`, data: { seq } });
        if (result.ok) seqs.set(result.event.id, seq);
      }
    },
    fates() {
      const fates: string[] = Array.from({ length: next }, () => 'pending');
      for (const outcome of outcomes) {
        const seq = seqs.get(outcome.event.id);
        if (seq === undefined) continue;
        fates[seq] =
          outcome.outcome === 'delivered' || outcome.outcome === 'deduplicated'
            ? outcome.outcome
            : `${outcome.outcome}:${outcome.reason}`;
      }
      return fates;
    },
    everythingVisible() {
      return JSON.stringify([logger.lines, outcomes, attempts, healths, engine.health(), engine.stats()]);
    },
  };
  running.push(adversary);
  return adversary;
}

/** `n` copies of one fate: `fates()` of a batch that all went the same way. */
export function all(n: number, fate: string): string[] {
  return Array.from({ length: n }, () => fate);
}

/** No form of the key, whatever the case, anywhere an operator or listener could read it. */
export function expectKeyNowhere(adversary: Adversary): void {
  const visible = adversary.everythingVisible().toLowerCase();
  expect(visible).not.toContain(ADVERSARY_KEY.toLowerCase());
  expect(visible).not.toContain('adversary_9c41f7d2ab');
}

/**
 * Call once per spec file: after each test the engine is closed and the server stopped, the invariant
 * `captured = delivered + rejected + dropped + deduplicated + pending` is checked one last time, and so is the key's
 * absence from everything visible.
 */
export function stopAdversariesAfterEach(): void {
  afterEach(async () => {
    for (const adversary of running.splice(0)) {
      await adversary.engine.close({ deadlineMs: 1000 });
      await adversary.server.close();
      const s = adversary.engine.stats();
      expect(s.delivered + s.rejected + s.dropped + s.deduplicated + s.pending).toBe(s.captured);
      // Whatever the test asserted itself: after the final drain too, the key shows nowhere.
      expectKeyNowhere(adversary);
    }
  });
}
