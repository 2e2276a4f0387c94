// Delivery throughput: events/s from the first capture until the sink (another process) has every
// event, all contenders at 100 events per request, rounds interleaved.
import { forkChild } from '../harness/child-process.mjs';
import { profileArgs } from '../harness/cpu-profile.mjs';
import { interleave, ratio, summarize } from '../harness/stats.mjs';
import { redisServerFor } from '../harness/redis-server.mjs';
import { CONTENDERS, sinkLib, withStoreVariants } from '../contenders/contenders.mjs';
import { startSink } from '../sink/sink.client.mjs';

const DELIVERY_TIMEOUT_MS = 120_000;

export async function runThroughput(config, log) {
  const { events, warmupEvents } = config.throughput;
  // nestjs-spotzee's durable stores run as contenders of their own, interleaved with the rest.
  const contenders = withStoreVariants(CONTENDERS);
  const redis = await redisServerFor(contenders);
  const sink = await startSink('throughput-sink');
  const rounds = [];
  let strayRequests;
  try {
    for (const [index, order] of interleave(contenders, config.rounds).entries()) {
      const round = { order, results: {} };
      for (const name of order) {
        round.results[name] = await runOne(config, sink, name, index, events, warmupEvents, redis.args);
        const r = round.results[name];
        log(
          `throughput round ${index + 1} ${name}: ${r.eventsPerSecond?.toFixed(0) ?? 'n/a'} events/s, ` +
            `${r.sinkUnique}/${events} arrived (${r.requests} requests), ${r.cpuUsPerEvent?.toFixed(1)} µs CPU/event`,
        );
      }
      rounds.push(round);
    }
    // Anything a library sent besides its batch endpoint (flag polling, telemetry) would show here.
    strayRequests = (await sink.stats()).unrouted?.requests ?? 0;
  } finally {
    await sink.stop();
    await redis.stop();
  }
  const summary = {};
  for (const name of contenders) {
    summary[name] = {
      eventsPerSecond: summarize(rounds.map((r) => r.results[name]?.eventsPerSecond)),
      cpuUsPerEvent: summarize(rounds.map((r) => r.results[name]?.cpuUsPerEvent)),
      eventsPerRequest: summarize(rounds.map((r) => r.results[name]?.eventsPerRequest)),
      allDelivered: rounds.every((r) => r.results[name]?.sinkUnique === events),
    };
  }
  // Paired per round, then the median: see capture.scenario.mjs.
  const peers = CONTENDERS.filter((n) => n !== 'spotzee');
  const paired = (pick) => summarize(rounds.map((r) => ratio(r.results.spotzee?.eventsPerSecond, pick(r))));
  const ratios = {
    spotzeeVsFasterPeer: paired((r) => Math.max(...peers.map((p) => r.results[p]?.eventsPerSecond ?? NaN))),
    spotzeeVsSegment: paired((r) => r.results.segment?.eventsPerSecond),
    spotzeeVsPosthog: paired((r) => r.results.posthog?.eventsPerSecond),
    // Each durable store against the memory store, same rounds: events/s and CPU per event.
    fileVsMemory: storeRatio(rounds, 'spotzee-file', 'eventsPerSecond'),
    redisVsMemory: storeRatio(rounds, 'spotzee-redis', 'eventsPerSecond'),
    fileCpuVsMemory: storeRatio(rounds, 'spotzee-file', 'cpuUsPerEvent'),
    redisCpuVsMemory: storeRatio(rounds, 'spotzee-redis', 'cpuUsPerEvent'),
  };
  return { config: config.throughput, rounds, summary, ratios, strayRequests };
}

function storeRatio(rounds, variant, metric) {
  return summarize(rounds.map((r) => ratio(r.results[variant]?.[metric], r.results.spotzee?.[metric])));
}

async function runOne(config, sink, name, index, events, warmupEvents, extraArgs) {
  const lib = sinkLib(name);
  const child = forkChild('scenarios/throughput.child.mjs', {
    name: `throughput-r${index + 1}-${name}`,
    args: [
      `--contender=${name}`,
      `--origin=${sink.origin}`,
      `--events=${events}`,
      `--warmup-events=${warmupEvents}`,
      ...extraArgs,
    ],
    execArgv: profileArgs(config, 'throughput', name, index),
  });
  try {
    await child.next('warm', 120_000);
    // Warm-up events are forgotten; the measured ones are counted from zero.
    await sink.reset([lib]);
    const reached = await sink.expect(lib, events);
    const captured = child.next('captured', DELIVERY_TIMEOUT_MS);
    child.send({ type: 'go' });
    const { startedAt, capturedAt } = await captured;
    let arrival = null;
    try {
      arrival = await reached(DELIVERY_TIMEOUT_MS);
    } catch {
      // Reported below as an incomplete delivery rather than a number.
    }
    child.send({ type: 'reached' });
    const { cpuUs, report } = await child.next('result', 60_000);
    const counters = (await sink.stats())[lib] ?? { unique: 0, requests: 0, events: 0, duplicates: 0 };
    const seconds = arrival ? Number(arrival.at - BigInt(startedAt)) / 1e9 : null;
    return {
      eventsPerSecond: seconds ? events / seconds : null,
      seconds,
      captureSeconds: Number(BigInt(capturedAt) - BigInt(startedAt)) / 1e9,
      cpuUsPerEvent: cpuUs / events,
      sinkUnique: counters.unique,
      duplicates: counters.duplicates,
      requests: counters.requests,
      eventsPerRequest: counters.requests ? counters.events / counters.requests : null,
      report,
    };
  } finally {
    await child.stop();
  }
}
