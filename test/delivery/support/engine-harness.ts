import { afterEach, expect } from '@jest/globals';
import { DeliveryEngine } from '../../../lib/delivery/index.js';
import type { DeliveryEngineSeams, DeliveryOptions, EventOutcome, TrackInput } from '../../../lib/delivery/index.js';
import { SpotzeeEmulator } from '../../../lib/emulator/index.js';
import type { SpotzeeEmulatorOptions } from '../../../lib/emulator/index.js';
import { RecordingLogger } from '../../support/recording-logger.js';

export const TEST_KEY = 'sk_test_harness_4f9d2c81';

/** Options that keep tests fast: tiny waits everywhere, still real HTTP. */
export const FAST_OPTIONS: DeliveryOptions = {
  flushIntervalMs: 5,
  requestTimeoutMs: 2000,
  retryBaseMs: 5,
  retryMaxMs: 40,
  rateLimitJitterMs: 0,
  rateLimitMaxMs: 2000,
  haltProbeIntervalMs: 100,
  shutdownDeadlineMs: 5000,
};

/** The invariant that must hold at every moment. */
export function expectInvariant(engine: DeliveryEngine): void {
  const stats = engine.stats();
  expect(stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending).toBe(stats.captured);
  expect(stats.pending).toBeGreaterThanOrEqual(0);
  expect(stats.queuedEvents).toBeGreaterThanOrEqual(0);
  expect(stats.queuedEvents).toBeLessThanOrEqual(stats.pending);
}

export interface Harness {
  emulator: SpotzeeEmulator;
  engine: DeliveryEngine;
  logger: RecordingLogger;
  outcomes: EventOutcome[];
  /** Invariant violations seen inside listeners (asserted empty at teardown). */
  violations: string[];
  capture(input: Partial<TrackInput> & { name?: string }): void;
  stop(): Promise<void>;
}

let counter = 0;

/** Harnesses started by the running test, for `stopHarnessesAfterEach`. */
const running: Harness[] = [];

/** A unique, valid event; `seq` ends up in data so the emulator side can be matched exactly. */
export function event(overrides: Partial<TrackInput> = {}): TrackInput {
  counter += 1;
  return { name: 'order_placed', externalId: `user_${counter}`, data: { seq: counter }, ...overrides };
}

export async function startHarness(
  options: DeliveryOptions = {},
  emulatorOptions: SpotzeeEmulatorOptions = {},
  seams: DeliveryEngineSeams = {},
): Promise<Harness> {
  const emulator = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY], ...emulatorOptions });
  const logger = new RecordingLogger();
  let engine: DeliveryEngine;
  try {
    engine = new DeliveryEngine(
      { apiKey: TEST_KEY, baseUrl: emulator.baseUrl, logger, ...FAST_OPTIONS, ...options },
      seams,
    );
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  const outcomes: EventOutcome[] = [];
  const violations: string[] = [];
  engine.on('outcome', (outcome) => {
    outcomes.push(outcome);
    const s = engine.stats();
    if (s.delivered + s.rejected + s.dropped + s.deduplicated + s.pending !== s.captured) {
      violations.push(JSON.stringify(s));
    }
  });
  const harness: Harness = {
    emulator,
    engine,
    logger,
    outcomes,
    violations,
    capture(input) {
      engine.capture(event(input));
      expectInvariant(engine);
    },
    async stop() {
      await engine.close({ deadlineMs: 2000 });
      await emulator.stop();
      expect(violations).toEqual([]);
      expectInvariant(engine);
    },
  };
  running.push(harness);
  return harness;
}

/**
 * Call once at the top of a spec file: after each test, pass or fail, stops every harness it started,
 * so no engine or emulator outlives its test, and asserts the invariant held throughout.
 */
export function stopHarnessesAfterEach(): void {
  afterEach(async () => {
    for (const harness of running.splice(0)) await harness.stop();
  });
}
