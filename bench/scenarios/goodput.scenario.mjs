// Goodput under partial failure: the same steady arrival rate against a sink that answers every request
// (clean) and against one that fails a share of them in mixed ways (faulty: 5xx, connection resets,
// answers lost after the batch was stored, and a few answered only after the request timeout). Each
// library runs clean then faulty, alone on the machine, against its own sink. Reported per run: the share
// of events at the sink within 2 s of the last arrival, how long until every event was there, and the
// p99 from capture to first arrival; per library, the faulty run's share against its clean run's.
import { forkChild } from '../harness/child-process.mjs';
import { profileArgs } from '../harness/cpu-profile.mjs';
import { percentile, ratio } from '../harness/stats.mjs';
import { CONTENDERS } from '../contenders/contenders.mjs';
import { startSink } from '../sink/sink.client.mjs';

export const GOODPUT_MODES = ['clean', 'faulty'];
/** What "within 2 s of arrival end" means, in ms. */
export const GOODPUT_WINDOW_MS = 2_000;
/** Same sequence of faults for every library. */
const FAULT_SEED = 12;

export async function runGoodput(config, log) {
  const results = {};
  for (const name of CONTENDERS) {
    results[name] = {};
    for (const mode of GOODPUT_MODES) {
      const r = await runOne(config, name, mode);
      results[name][mode] = r;
      log(
        `goodput ${name} ${mode}: ${(r.shareWithinWindow * 100).toFixed(1)}% within 2 s, ` +
          `${r.drainSeconds === null ? `not all delivered (${r.deliveredAtDrain}/${r.events})` : `drained in ${r.drainSeconds.toFixed(1)} s`}, ` +
          `p99 ${Number.isFinite(r.p99LatencyMs) ? `${r.p99LatencyMs.toFixed(0)} ms` : 'never'}, ` +
          `faults ${JSON.stringify(r.faults)}, reported ${r.reportedDrops}, silent ${r.silentDrops}`,
      );
    }
  }
  const ratios = {};
  for (const [name, runs] of Object.entries(results)) {
    ratios[name] = {
      shareVsClean: ratio(runs.faulty?.shareWithinWindow, runs.clean?.shareWithinWindow),
    };
  }
  return { config: config.goodput, results, ratios };
}

async function runOne(config, name, mode) {
  const { rate, seconds, faults, slowMs, deadlineMs, drainCapSeconds } = config.goodput;
  const events = Math.round(rate * seconds);
  const sink = await startSink(`goodput-sink-${name}-${mode}`);
  let child;
  try {
    await sink.track(name, events);
    if (mode === 'faulty') await sink.faults(faults, slowMs, FAULT_SEED);
    child = forkChild('scenarios/goodput.child.mjs', {
      name: `goodput-${name}-${mode}`,
      args: [
        `--contender=${name}`,
        `--origin=${sink.origin}`,
        `--rate=${rate}`,
        `--events=${events}`,
        // Far above what the run holds: this measures delivery, not the overflow policy.
        `--queue-limit=${events * 2}`,
        `--deadline-ms=${deadlineMs}`,
        `--drain-cap-ms=${drainCapSeconds * 1000}`,
      ],
      execArgv: profileArgs(config, 'goodput', `${name}-${mode}`),
    });
    await child.next('ready', 60_000);
    await child.request({ type: 'start' }, 'start-ok');
    const { at: endedAt } = await child.next('ended', seconds * 1000 + 120_000);
    const flushed = await child.next('flushed', drainCapSeconds * 1000 + 60_000);
    const times = await sink.arrivals(name);
    const result = await child.request({ type: 'stop' }, 'result', deadlineMs + 120_000);
    const counters = (await sink.stats())[name] ?? { unique: 0, duplicates: 0, requests: 0 };
    return summarizeRun(events, endedAt, flushed, times, result, counters);
  } finally {
    await child?.stop();
    await sink.stop();
  }
}

function summarizeRun(events, endedAt, flushed, times, result, counters) {
  let withinWindow = 0;
  let arrived = 0;
  let lastArrival = 0;
  const latencies = new Float64Array(events);
  for (let seq = 0; seq < events; seq++) {
    const at = times[seq];
    if (!(at > 0)) {
      latencies[seq] = Infinity;
      continue;
    }
    arrived += 1;
    if (at <= endedAt + GOODPUT_WINDOW_MS) withinWindow += 1;
    if (at > lastArrival) lastArrival = at;
    latencies[seq] = at - result.capturedAt[seq];
  }
  const sorted = Array.from(latencies);
  const report = result.report;
  return {
    events,
    captured: result.captured,
    shareWithinWindow: withinWindow / events,
    // Every event at the sink before the library's flush returned (or the cap): from the last arrival.
    drainSeconds: arrived === events ? (lastArrival - endedAt) / 1000 : null,
    deliveredAtDrain: arrived,
    flushSeconds: (flushed.at - endedAt) / 1000,
    flushTimedOut: flushed.timedOut,
    p50LatencyMs: percentile(sorted, 50),
    p99LatencyMs: percentile(sorted, 99),
    delivered: counters.unique,
    duplicatesAtSink: counters.duplicates,
    requestsAtSink: counters.requests,
    faults: Object.fromEntries(['error', 'reset', 'lost', 'slow'].map((kind) => [kind, counters[kind] ?? 0])),
    reportedDrops: report.reportedDrops,
    reasons: report.reasons,
    silentDrops: Math.max(0, result.captured - counters.unique - report.reportedDrops),
    closeMs: result.closeMs,
  };
}
