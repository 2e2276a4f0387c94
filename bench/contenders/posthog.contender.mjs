// PostHog's Node SDK through its documented options. Compression is turned off: no other contender
// compresses, and gzip on loopback would only add CPU to PostHog's side of every comparison.
import { PostHog } from 'posthog-node';
import { EVENT_NAME, contactId, orderData, settle } from './event-payload.mjs';

const PROFILES = {
  // flushAt above the harness's chunk size, so no batch is sent during a timed chunk.
  capture: ({ chunk, queueLimit }) => ({
    flushAt: chunk + 1,
    maxBatchSize: 100,
    flushInterval: 60_000,
    maxQueueSize: Math.max(queueLimit, chunk + 1),
  }),
  throughput: ({ queueLimit }) => ({ flushAt: 100, maxBatchSize: 100, flushInterval: 250, maxQueueSize: queueLimit }),
  outage: ({ queueLimit }) => ({ flushAt: 100, maxBatchSize: 100, flushInterval: 250, maxQueueSize: queueLimit }),
  goodput: ({ queueLimit }) => ({ flushAt: 100, maxBatchSize: 100, flushInterval: 250, maxQueueSize: queueLimit }),
};

export async function createPostHog({ origin, profile, chunk = 1000, queueLimit = 100_000 }) {
  const client = new PostHog('phc_bench_project_key', {
    host: origin,
    disableCompression: true,
    ...PROFILES[profile]({ chunk, queueLimit }),
  });
  const reported = { errors: 0 };
  // PostHog reports failed flushes (per batch, not per event); a network failure keeps the batch
  // queued, and a full queue drops its oldest event with a warning printed only in debug mode.
  client.on('error', () => {
    reported.errors += 1;
  });

  return {
    name: 'posthog',
    track(seq) {
      client.capture({ distinctId: contactId(seq), event: EVENT_NAME, properties: orderData(seq) });
    },
    async flush() {
      // capture() finishes asynchronously; let it reach the queue before asking for a flush.
      await settle();
      await client.flush();
    },
    close: (deadlineMs) => client.shutdown(deadlineMs),
    report() {
      return { reportedDrops: 0, reasons: { flushErrors: reported.errors }, pending: null };
    },
  };
}
