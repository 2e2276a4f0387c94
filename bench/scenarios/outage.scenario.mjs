// Outage behaviour: every contender gets the same timeline (steady → sink unreachable → sink back →
// shutdown with a deadline) in its own process against its own sink. Two stages keep the whole
// scenario within a few minutes: nestjs-spotzee alone, then the two peers concurrently (staggered).
// Both peers saturate a core during an outage (Segment retries every batch with its whole body
// held; PostHog shifts a full array per captured event), which would otherwise show up as
// scheduling delay in nestjs-spotzee's event-loop figures.
import { setTimeout as sleep } from 'node:timers/promises';
import { forkChild } from '../harness/child-process.mjs';
import { profileArgs } from '../harness/cpu-profile.mjs';
import { CONTENDERS, QUEUE_LIMIT_OPTION, sinkLib, STORES } from '../contenders/contenders.mjs';
import { startSink } from '../sink/sink.client.mjs';

const MiB_SLACK = 4;

// nestjs-spotzee with its file store holds the whole outage on disk: a stage of its own, after the
// memory store's, with queue limits raised to what a disk holds.
export const OUTAGE_STAGES = [['spotzee'], ['spotzee-file'], ['segment', 'posthog']];

function measured(name) {
  if (name === 'spotzee-file') return CONTENDERS.includes('spotzee') && STORES.includes('file');
  return CONTENDERS.includes(name);
}

/** The queue bounds a contender runs with: the memory-sized limit, or the disk-sized one. */
export function outageLimits(config, name) {
  const { queueLimit, diskQueueLimit, diskQueueBytes } = config.outage;
  return name === 'spotzee-file'
    ? { events: diskQueueLimit, bytes: diskQueueBytes }
    : { events: queueLimit, bytes: null };
}

export async function runOutage(config, log) {
  const results = {};
  const floors = {};
  for (const stage of OUTAGE_STAGES) {
    const names = stage.filter(measured);
    if (names.length === 0) continue;
    // An idle process follows the first run's phases: the event-loop delay the machine alone causes.
    const probe = forkChild('scenarios/loop-probe.child.mjs', { name: `outage-probe-${names.join('-')}` });
    await probe.next('ready', 60_000);
    try {
      const runs = await Promise.all(
        names.map(async (name, index) => {
          await sleep(index * config.outage.staggerSeconds * 1000);
          return [name, await runOne(config, name, log, index === 0 ? probe : null)];
        }),
      );
      Object.assign(results, Object.fromEntries(runs));
      floors[names.join('+')] = (await probe.request({ type: 'stop' }, 'result')).delays;
    } finally {
      await probe.stop();
    }
  }
  return { config: config.outage, stages: OUTAGE_STAGES, results, idleProcessDelays: floors };
}

async function runOne(config, name, log, probe) {
  const { seconds, steadySeconds, recoverySeconds, rate, deadlineMs } = config.outage;
  const limits = outageLimits(config, name);
  const sink = await startSink(`outage-sink-${name}`);
  const child = forkChild('scenarios/outage.child.mjs', {
    name: `outage-${name}`,
    args: [
      `--contender=${name}`,
      `--origin=${sink.origin}`,
      `--rate=${rate}`,
      `--queue-limit=${limits.events}`,
      ...(limits.bytes ? [`--queue-bytes=${limits.bytes}`] : []),
      `--deadline-ms=${deadlineMs}`,
      `--capture-seconds=${steadySeconds + seconds + recoverySeconds}`,
    ],
    execArgv: ['--expose-gc', ...profileArgs(config, 'outage', name)],
  });
  try {
    await child.next('ready', 60_000);
    await child.request({ type: 'start' }, 'start-ok');
    probe?.send({ type: 'start' });
    const t0 = Date.now();
    const at = (offsetSeconds) => sleep(Math.max(0, t0 + offsetSeconds * 1000 - Date.now()));
    // The sink goes down and comes back on the parent's clock. Messages to the child are not awaited
    // here: a child whose event loop is blocked answers late, and must not stretch the outage.
    const replies = [];
    const tell = (message, reply) => {
      replies.push(child.request(message, reply, 600_000));
      if (probe && message.type === 'phase') probe.send(message);
    };
    await at(steadySeconds);
    tell({ type: 'checkpoint', label: 'beforeOutage' }, 'checkpoint-ok');
    await sink.down();
    tell({ type: 'phase', name: 'outage' }, 'phase-ok');
    log(`outage ${name}: sink down for ${seconds} s`);
    // Queue limits are sized to fill 40% into the outage; live heap is read after they are full and
    // at the end, so a bounded queue shows a flat line and an unbounded one a slope.
    await at(steadySeconds + seconds / 2);
    tell({ type: 'checkpoint', label: 'midOutage' }, 'checkpoint-ok');
    await at(steadySeconds + seconds - 0.5);
    tell({ type: 'checkpoint', label: 'endOutage' }, 'checkpoint-ok');
    await at(steadySeconds + seconds);
    await sink.up();
    tell({ type: 'phase', name: 'recovery' }, 'phase-ok');
    log(`outage ${name}: sink back up`);
    await at(steadySeconds + seconds + recoverySeconds);
    await Promise.all(replies);
    probe?.send({ type: 'phase', name: 'drain' });
    const result = await child.request({ type: 'stop' }, 'result', deadlineMs + 600_000);
    const all = await sink.stats();
    const counters = {
      ...(all[sinkLib(name)] ?? { unique: 0, duplicates: 0, requests: 0 }),
      stray: all.unrouted?.requests ?? 0,
    };
    const summary = summarizeRun(config, name, result, counters);
    log(
      `outage ${name}: captured ${summary.captured}, delivered ${summary.delivered}, ` +
        `reported ${summary.reportedDrops}, silent ${summary.silentDrops}, live heap +${summary.liveHeapGrowthMiB.toFixed(1)} MiB ` +
        `(+${summary.liveHeapGrowthSecondHalfMiB.toFixed(1)} in the second half), recovery p99 ${summary.delays.recovery?.p99Ms?.toFixed(1) ?? 'n/a'} ms`,
    );
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
    resumeLagSeconds:
      counters.resumeLagMs === null || counters.resumeLagMs === undefined ? null : counters.resumeLagMs / 1000,
    reportedDrops: report.reportedDrops,
    reasons: report.reasons,
    pendingAfterClose: report.pending,
    // After shutdown nothing more will be sent: whatever did not arrive and was not reported is silent.
    silentDrops: Math.max(0, captured - delivered - report.reportedDrops),
    closeMs,
    delays,
    liveHeapMiB: {
      beforeOutage: beforeOutage.heapMiB,
      midOutage: midOutage.heapMiB,
      endOutage: endOutage.heapMiB,
      afterClose: checkpoints.afterClose.heapMiB,
    },
    liveHeapGrowthMiB: endOutage.heapMiB - beforeOutage.heapMiB,
    liveHeapGrowthSecondHalfMiB: secondHalf,
    // Bounded: once the queue is full, the live heap stops growing (within GC noise).
    heapBounded: secondHalf <= Math.max(MiB_SLACK, 0.1 * firstHalf),
    queueLimitOption: QUEUE_LIMIT_OPTION[name],
    queueLimit: QUEUE_LIMIT_OPTION[name] ? outageLimits(config, name).events : null,
    // Live heap per event held at mid-outage: the queue limit when there is one, else all captured.
    kibPerHeldEvent:
      (firstHalf * 1024) /
      Math.min(
        QUEUE_LIMIT_OPTION[name] ? outageLimits(config, name).events : Infinity,
        midOutage.captured - beforeOutage.captured,
      ),
    backlogDrainedSeconds: backlogDrained(samples, config.outage.rate),
    peakHeapGrowthMiB: peak('heapMiB') - beforeOutage.heapMiB,
    peakRssGrowthMiB: peak('rssMiB') - beforeOutage.rssMiB,
    samples,
  };
}

/**
 * Seconds from the start of the recovery phase until the library's backlog first fell below one
 * second of capture (null when the library exposes no backlog, or it never got there).
 */
function backlogDrained(samples, rate) {
  const recovery = samples.filter((s) => s.phase === 'recovery' || s.phase === 'drain');
  if (recovery.length === 0 || recovery[0].backlog === null) return null;
  const drained = recovery.find((s) => s.backlog < rate);
  return drained ? (drained.t - recovery[0].t) / 1000 : null;
}
