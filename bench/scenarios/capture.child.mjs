// One contender, one round of the capture-cost measurement. Timed: a tight loop of `chunk` capture
// calls plus every microtask they spawn, so work a library defers to promises (Segment's plugin
// pipeline, PostHog's async message preparation) is charged to capture too. The clock stops in a
// setImmediate registered before the loop, which runs ahead of any macrotask a library schedules
// during it (nestjs-spotzee's send pump, peers' flush timers): that is delivery work, and delivery is
// measured by the throughput scenario. Untimed: the flush that empties the queue between chunks, so no
// queue grows during the measurement.
import { argument, fail, onExitRequest, send } from '../harness/ipc-child.mjs';
import { createContender } from '../contenders/contenders.mjs';
import { settle } from '../contenders/event-payload.mjs';

async function main() {
  const name = argument('contender');
  const chunk = Number(argument('chunk', '1000'));
  const warmupChunks = Number(argument('warmup-chunks', '10'));
  const chunks = Number(argument('chunks', '20'));
  const contender = await createContender(name, {
    origin: argument('origin'),
    profile: 'capture',
    chunk,
    redisUrl: argument('redis-url'),
  });
  onExitRequest(() => contender.close(5_000));

  let seq = 0;
  async function timedChunk() {
    const microtasksDone = settle();
    const start = process.hrtime.bigint();
    for (let i = 0; i < chunk; i++) contender.track(seq++);
    const called = process.hrtime.bigint();
    await microtasksDone;
    const settled = process.hrtime.bigint();
    await contender.flush();
    return { callNs: Number(called - start), totalNs: Number(settled - start) };
  }

  for (let i = 0; i < warmupChunks; i++) await timedChunk();
  const measuredFrom = seq;
  let callNs = 0;
  let totalNs = 0;
  const perChunk = [];
  for (let i = 0; i < chunks; i++) {
    const result = await timedChunk();
    callNs += result.callNs;
    totalNs += result.totalNs;
    perChunk.push(result.totalNs / chunk);
  }
  const events = seq - measuredFrom;
  send({
    type: 'result',
    events,
    captured: seq,
    nsPerEvent: totalNs / events,
    callNsPerEvent: callNs / events,
    perChunk,
    report: contender.report(),
  });
}

main().catch(fail);
