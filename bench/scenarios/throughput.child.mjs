// One contender, one round of the delivery-throughput measurement: capture `events` as fast as the
// library lets an application capture them (slices of 500 with a macrotask turn between them, so
// sending overlaps capturing as it would in a busy service), while the sink in another process
// timestamps the arrival of the last one.
import { argument, fail, next, onExitRequest, send } from '../harness/ipc-child.mjs';
import { createContender } from '../contenders/contenders.mjs';
import { settle } from '../contenders/event-payload.mjs';

const SLICE = 500;

async function main() {
  const name = argument('contender');
  const events = Number(argument('events'));
  const warmupEvents = Number(argument('warmup-events'));
  const contender = await createContender(name, {
    origin: argument('origin'),
    profile: 'throughput',
    queueLimit: events + warmupEvents,
    redisUrl: argument('redis-url'),
  });
  onExitRequest(() => contender.close(5_000));

  let seq = 0;
  async function captureAll(count) {
    const end = seq + count;
    while (seq < end) {
      const sliceEnd = Math.min(end, seq + SLICE);
      while (seq < sliceEnd) contender.track(seq++);
      await settle();
    }
  }

  // Warm-up: JIT, keep-alive connections and buffers, then a full flush before the clock starts.
  await captureAll(warmupEvents);
  await contender.flush();
  send({ type: 'warm', captured: seq });

  await next('go');
  const cpuBefore = process.cpuUsage();
  const startedAt = process.hrtime.bigint();
  await captureAll(events);
  const capturedAt = process.hrtime.bigint();
  send({ type: 'captured', startedAt: startedAt.toString(), capturedAt: capturedAt.toString() });

  await next('reached');
  const cpu = process.cpuUsage(cpuBefore);
  send({ type: 'result', cpuUs: cpu.user + cpu.system, report: contender.report() });
}

main().catch(fail);
