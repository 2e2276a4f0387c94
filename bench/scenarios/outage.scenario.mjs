// Outage behaviour: every contender gets the same timeline (steady → sink unreachable → sink back →
// shutdown with a deadline) in its own process against its own sink. The three run concurrently,
// staggered by a few seconds so their recovery bursts do not land on the same instant.
import { setTimeout as sleep } from 'node:timers/promises';
import { forkChild } from '../harness/child-process.mjs';
import { profileArgs } from '../harness/cpu-profile.mjs';
import { CONTENDERS, QUEUE_LIMIT_OPTION } from '../contenders/contenders.mjs';
import { startSink } from '../sink/sink.client.mjs';

const MiB_SLACK = 4;

export async function runOutage(config, log) {
  const runs = await Promise.all(
    CONTENDERS.map(async (name, index) => {
      await sleep(index * config.outage.staggerSeconds * 1000);
      return [name, await runOne(config, name, log)];
    }),
  );
  return { config: config.outage, results: Object.fromEntries(runs) };
}

async function runOne(config, name, log) {
  const { seconds, steadySeconds, recoverySeconds, rate, deadlineMs, queueLimit } = config.outage;
  const sink = await startSink(`outage-sink-${name}`);
  const child = forkChild('scenarios/outage.child.mjs', {
    name: `outage-${name}`,
    args: [`--contender=${name}`, `--origin=${sink.origin}`, `--rate=${rate}`,
      `--queue-limit=${queueLimit}`, `--deadline-ms=${deadlineMs}`,
      `--capture-seconds=${steadySeconds + seconds + recoverySeconds}`],
    execArgv: ['--expose-gc', ...profileArgs(config, 'outage', name)],
  });
  try {
    await child.next('ready', 60_000);
    const checkpoint = (label) => child.request({ type: 'checkpoint', label }, 'checkpoint-ok');
    const phase = (phaseName) => child.request({ type: 'phase', name: phaseName }, 'phase-ok');

    // The timeline runs on the parent's clock: a child whose event loop is blocked answers late, but
    // the sink still goes down and comes back on time, and the offered load is caught up by the child.
    await child.request({ type: 'start' }, 'start-ok');
    const t0 = Date.now();
    const at = (seconds_) => sleep(Math.max(0, t0 + seconds_ * 1000 - Date.now()));
    await at(steadySeconds);
    await checkpoint('beforeOutage');
    await sink.down();
    await phase('outage');
    log(`outage ${name}: sink down for ${seconds} s`);
    // Queue limits are sized to fill 40% into the outage; live heap is read after they are full and
    // at the end, so a bounded queue shows a flat line and an unbounded one a slope.
    await at(steadySeconds + seconds / 2);
    await checkpoint('midOutage');
    await at(steadySeconds + seconds - 0.5);
    await checkpoint('endOutage');
    await at(steadySeconds + seconds);
    await sink.up();
    await phase('recovery');
    log(`outage ${name}: sink back up`);
    await at(steadySeconds + seconds + recoverySeconds);
    const result = await child.request({ type: 'stop' }, 'result', deadlineMs + 120_000);
    const all = await sink.stats();
    const counters = { ...(all[name] ?? { unique: 0, duplicates: 0, requests: 0 }), stray: all.unrouted?.requests ?? 0 };
    const summary = summarizeRun(config, name, result, counters);
    log(`outage ${name}: captured ${summary.captured}, delivered ${summary.delivered}, ` +
      `reported ${summary.reportedDrops}, silent ${summary.silentDrops}, live heap +${summary.liveHeapGrowthMiB.toFixed(1)} MiB ` +
      `(+${summary.liveHeapGrowthSecondHalfMiB.toFixed(1)} in the second half), recovery p99 ${summary.delays.recovery?.p99Ms?.toFixed(1) ?? 'n/a'} ms`);
    return summary;
  } finally {
    await child.stop();
    await sink.stop();
  }
}

function summarizeRun(config, name, result, counters) {
  const { captured, report, checkpoints, samples, delays, closeMs } = result;
  const delivered = counters.unique;
  const { beforeOutage, midOutage, endOutage } = checkpoints;
  const during = samples.filter((s) => s.phase !== 'steady' && s.phase !== 'idle');
  const peak = (key) => Math.max(...during.map((s) => s[key]));
  const secondHalf = endOutage.heapMiB - midOutage.heapMiB;
  const firstHalf = midOutage.heapMiB - beforeOutage.heapMiB;
  return {
    captured,
    delivered,
    duplicatesAtSink: counters.duplicates,
    requestsAtSink: counters.requests,
    strayRequests: counters.stray,
    // From the sink accepting connections again to the first batch it received from this library.
    resumeLagSeconds: counters.resumeLagMs === null || counters.resumeLagMs === undefined ? null : counters.resumeLagMs / 1000,
    reportedDrops: report.reportedDrops,
    reasons: report.reasons,
    pendingAfterClose: report.pending,
    // After shutdown nothing more will be sent: whatever did not arrive and was not reported is silent.
    silentDrops: Math.max(0, captured - delivered - report.reportedDrops),
    closeMs,
    delays,
    liveHeapMiB: { beforeOutage: beforeOutage.heapMiB, midOutage: midOutage.heapMiB, endOutage: endOutage.heapMiB, afterClose: checkpoints.afterClose.heapMiB },
    liveHeapGrowthMiB: endOutage.heapMiB - beforeOutage.heapMiB,
    liveHeapGrowthSecondHalfMiB: secondHalf,
    // Bounded: once the queue is full, the live heap stops growing (within GC noise).
    heapBounded: secondHalf <= Math.max(MiB_SLACK, 0.1 * firstHalf),
    queueLimitOption: QUEUE_LIMIT_OPTION[name],
    // Live heap per event held at mid-outage: the queue limit when there is one, else all captured.
    kibPerHeldEvent: (firstHalf * 1024) / Math.min(
      QUEUE_LIMIT_OPTION[name] ? config.outage.queueLimit : Infinity,
      midOutage.captured - beforeOutage.captured,
    ),
    peakHeapGrowthMiB: peak('heapMiB') - beforeOutage.heapMiB,
    peakRssGrowthMiB: peak('rssMiB') - beforeOutage.rssMiB,
    samples,
  };
}
