// Segment's Node SDK, configured through its documented settings only. It has no queue bound: every
// captured event stays in memory until its batch is delivered or its retries run out.
import { Analytics } from '@segment/analytics-node';
import { EVENT_NAME, contactId, orderData } from './event-payload.mjs';

const PROFILES = {
  // flushAt above the harness's chunk size, so no batch fills during a timed chunk.
  capture: ({ chunk }) => ({ flushAt: chunk + 1, flushInterval: 60_000 }),
  throughput: () => ({ flushAt: 100, flushInterval: 250 }),
  outage: () => ({ flushAt: 100, flushInterval: 250 }),
  goodput: () => ({ flushAt: 100, flushInterval: 250 }),
};

export async function createSegment({ origin, profile, chunk = 1000 }) {
  const analytics = new Analytics({
    writeKey: 'bench_write_key',
    host: origin,
    path: '/v1/batch',
    ...PROFILES[profile]({ chunk }),
  });
  const reported = { failures: 0, reasons: {} };
  // One 'error' per event whose delivery failed for good: Segment's documented failure report.
  analytics.on('error', (error) => {
    reported.failures += 1;
    const reason = error?.code ?? 'unknown';
    reported.reasons[reason] = (reported.reasons[reason] ?? 0) + 1;
  });

  return {
    name: 'segment',
    track(seq) {
      analytics.track({ userId: contactId(seq), event: EVENT_NAME, properties: orderData(seq) });
    },
    flush: () => analytics.flush(),
    // Segment has no public queue gauge; its dispatch counter is the closest thing.
    backlog: () => analytics._pendingEvents,
    close: (deadlineMs) => analytics.closeAndFlush({ timeout: deadlineMs }),
    report() {
      return { reportedDrops: reported.failures, reasons: reported.reasons, pending: analytics._pendingEvents };
    },
  };
}
