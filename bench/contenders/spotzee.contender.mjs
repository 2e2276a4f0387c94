// nestjs-spotzee as users run it: the real SpotzeeModule in a Nest application context, the injected
// SpotzeeTracker doing the capture. Loaded from the compiled ESM build so no TypeScript loader sits
// between the benchmark and the code users get.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadLibrary, loadRedisEntry } from '../harness/library-build.mjs';
import { EVENT_NAME, contactId, orderData } from './event-payload.mjs';

export const BENCH_API_KEY = 'sk_bench_0123456789abcdef';

const PROFILES = {
  // Capture only: nothing is sent until the harness flushes between timed chunks.
  capture: () => ({ flushIntervalMs: 60_000 }),
  throughput: ({ queueLimit }) => ({ flushIntervalMs: 250, maxQueueEvents: queueLimit }),
  // A disk-backed backlog is bounded by the disk, not the heap: its byte limit is raised with the event
  // limit, as a user holding a long outage on disk would configure it.
  outage: ({ queueLimit, queueBytes, deadlineMs }) => ({
    maxQueueEvents: queueLimit,
    ...(queueBytes ? { maxQueueBytes: queueBytes } : {}),
    shutdownDeadlineMs: deadlineMs,
  }),
  goodput: ({ queueLimit, deadlineMs }) => ({ maxQueueEvents: queueLimit, shutdownDeadlineMs: deadlineMs }),
};

/**
 * The store a variant runs: none given is the default memory store; the file store's log goes to a
 * fresh temporary directory (on the machine's disk), removed when the contender closes; the Redis
 * store gets a key prefix of its own on the server the parent started.
 */
async function createStore(store, redisUrl, FileEventStore) {
  switch (store) {
    case 'memory':
      return { store: undefined, cleanup: () => undefined };
    case 'file': {
      const directory = mkdtempSync(join(tmpdir(), 'spotzee-bench-'));
      return {
        store: new FileEventStore({ directory }),
        cleanup: () => rmSync(directory, { recursive: true, force: true }),
      };
    }
    case 'redis': {
      if (!redisUrl) throw new Error('the redis store variant needs --redis-url (the parent starts redis-server)');
      const { RedisEventStore } = await loadRedisEntry();
      return {
        store: new RedisEventStore({ redis: redisUrl, prefix: `bench-${process.pid}` }),
        cleanup: () => undefined,
      };
    }
    default:
      throw new Error(`unknown store '${store}'`);
  }
}

/** Resolves once the store reports itself up (Redis connects in the background). */
async function storeUp(tracker, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!tracker.stats().store?.up) {
    if (Date.now() > deadline) {
      throw new Error(`the event store is not up after ${timeoutMs} ms: ${JSON.stringify(tracker.stats().store)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function createSpotzee({
  origin,
  profile,
  queueLimit = 100_000,
  queueBytes,
  deadlineMs = 30_000,
  store = 'memory',
  redisUrl,
}) {
  const { SpotzeeModule, SpotzeeTracker, FileEventStore } = await loadLibrary();
  const { store: eventStore, cleanup } = await createStore(store, redisUrl, FileEventStore);
  class BenchModule {}
  Module({
    imports: [
      SpotzeeModule.forRoot({
        apiKey: BENCH_API_KEY,
        baseUrl: `${origin}/api/client`,
        globalInterceptor: false,
        ...PROFILES[profile]({ queueLimit, queueBytes, deadlineMs }),
        ...(eventStore ? { store: eventStore } : {}),
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
  if (eventStore) await storeUp(tracker);

  return {
    name: store === 'memory' ? 'spotzee' : `spotzee-${store}`,
    track(seq) {
      tracker.track(EVENT_NAME, { externalId: contactId(seq), data: orderData(seq) });
    },
    flush: () => tracker.flush(),
    /** Events captured and not yet settled (queued, in flight or waiting to retry). */
    backlog: () => tracker.stats().pending,
    async close() {
      try {
        await app.close();
      } finally {
        cleanup();
      }
    },
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
