// Capture cost: ns per event, each contender in a fresh process per round, rounds interleaved.
import { forkChild } from '../harness/child-process.mjs';
import { profileArgs } from '../harness/cpu-profile.mjs';
import { interleave, ratio, summarize } from '../harness/stats.mjs';
import { redisServerFor } from '../harness/redis-server.mjs';
import { CONTENDERS, sinkLib, withStoreVariants } from '../contenders/contenders.mjs';
import { startSink } from '../sink/sink.client.mjs';

export async function runCapture(config, log) {
  const { chunk, warmupChunks, chunks } = config.capture;
  // nestjs-spotzee's durable stores run as contenders of their own, interleaved with the rest.
  const contenders = withStoreVariants(CONTENDERS);
  const redis = await redisServerFor(contenders);
  const sink = await startSink('capture-sink');
  const rounds = [];
  let strayRequests;
  try {
    for (const [index, order] of interleave(contenders, config.rounds).entries()) {
      const round = { order, results: {} };
      for (const name of order) {
        await sink.reset([sinkLib(name)]);
        const child = forkChild('scenarios/capture.child.mjs', {
          name: `capture-r${index + 1}-${name}`,
          args: [
            `--contender=${name}`,
            `--origin=${sink.origin}`,
            `--chunk=${chunk}`,
            `--warmup-chunks=${warmupChunks}`,
            `--chunks=${chunks}`,
            ...redis.args,
          ],
          execArgv: profileArgs(config, 'capture', name, index),
        });
        const { type: _type, perChunk, ...result } = await child.next('result', 300_000);
        await child.stop();
        const received = (await sink.stats())[sinkLib(name)] ?? { unique: 0 };
        round.results[name] = { ...result, chunkNsPerEvent: summarize(perChunk), sinkUnique: received.unique };
        log(
          `capture round ${index + 1} ${name}: ${result.nsPerEvent.toFixed(0)} ns/event ` +
            `(call ${result.callNsPerEvent.toFixed(0)} ns), sink got ${received.unique}/${result.captured}`,
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
      nsPerEvent: summarize(rounds.map((r) => r.results[name]?.nsPerEvent)),
      callNsPerEvent: summarize(rounds.map((r) => r.results[name]?.callNsPerEvent)),
      allDelivered: rounds.every((r) => r.results[name]?.sinkUnique === r.results[name]?.captured),
    };
  }
  // Paired per round (the contenders of a round ran back to back on the same machine weather), then
  // the median of those ratios.
  const paired = (a, b) => summarize(rounds.map((r) => ratio(r.results[a]?.nsPerEvent, r.results[b]?.nsPerEvent)));
  const ratios = {
    spotzeeVsSegment: paired('spotzee', 'segment'),
    spotzeeVsPosthog: paired('spotzee', 'posthog'),
    // Each durable store against the memory store it replaces, measured in the same rounds.
    fileVsMemory: paired('spotzee-file', 'spotzee'),
    redisVsMemory: paired('spotzee-redis', 'spotzee'),
  };
  return { config: config.capture, rounds, summary, ratios, strayRequests };
}
