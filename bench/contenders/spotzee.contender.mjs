// nestjs-spotzee as users run it: the real SpotzeeModule in a Nest application context, the injected
// SpotzeeTracker doing the capture. Loaded from the compiled ESM build so no TypeScript loader sits
// between the benchmark and the code users get.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadLibrary } from '../harness/library-build.mjs';
import { EVENT_NAME, contactId, orderData } from './event-payload.mjs';

export const BENCH_API_KEY = 'sk_bench_0123456789abcdef';

const PROFILES = {
  // Capture only: nothing is sent until the harness flushes between timed chunks.
  capture: () => ({ flushIntervalMs: 60_000 }),
  throughput: ({ queueLimit }) => ({ flushIntervalMs: 250, maxQueueEvents: queueLimit }),
  outage: ({ queueLimit, deadlineMs }) => ({ maxQueueEvents: queueLimit, shutdownDeadlineMs: deadlineMs }),
  goodput: ({ queueLimit, deadlineMs }) => ({ maxQueueEvents: queueLimit, shutdownDeadlineMs: deadlineMs }),
};

export async function createSpotzee({ origin, profile, queueLimit = 100_000, deadlineMs = 30_000 }) {
  const { SpotzeeModule, SpotzeeTracker } = await loadLibrary();
  class BenchModule {}
  Module({
    imports: [
      SpotzeeModule.forRoot({
        apiKey: BENCH_API_KEY,
        baseUrl: `${origin}/api/client`,
        globalInterceptor: false,
        ...PROFILES[profile]({ queueLimit, deadlineMs }),
      }),
    ],
  })(BenchModule);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const tracker = app.get(SpotzeeTracker);
  const reported = { dropped: 0, rejected: 0, reasons: {} };
  // Only the failure outcomes, like the peers' error listeners: a listener on every delivered event
  // would make the engine build a summary per event, a cost no peer is asked to pay here.
  const count = (outcome) => {
    reported[outcome.outcome] += 1;
    reported.reasons[outcome.reason] = (reported.reasons[outcome.reason] ?? 0) + 1;
  };
  tracker.on('dropped', count);
  tracker.on('rejected', count);

  return {
    name: 'spotzee',
    track(seq) {
      tracker.track(EVENT_NAME, { externalId: contactId(seq), data: orderData(seq) });
    },
    flush: () => tracker.flush(),
    /** Events captured and not yet settled (queued, in flight or waiting to retry). */
    backlog: () => tracker.stats().pending,
    close: () => app.close(),
    report() {
      const stats = tracker.stats();
      return {
        reportedDrops: reported.dropped + reported.rejected,
        reasons: reported.reasons,
        pending: stats.pending,
        libraryStats: stats,
      };
    },
  };
}
