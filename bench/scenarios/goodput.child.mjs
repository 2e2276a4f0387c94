// One contender, one run of the goodput measurement: a steady arrival rate for a fixed number of
// events, each capture timestamped on the machine's monotonic clock (the sink timestamps arrivals on
// the same clock), then the library's own flush, bounded by a cap, and its shutdown.
import { setTimeout as sleep } from 'node:timers/promises';
import { argument, fail, onCommand, onExitRequest, send } from '../harness/ipc-child.mjs';
import { createContender } from '../contenders/contenders.mjs';

const TICK_MS = 10;

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  const name = argument('contender');
  const rate = Number(argument('rate'));
  const total = Number(argument('events'));
  const deadlineMs = Number(argument('deadline-ms'));
  const drainCapMs = Number(argument('drain-cap-ms'));
  const contender = await createContender(name, {
    origin: argument('origin'),
    profile: 'goodput',
    queueLimit: Number(argument('queue-limit')),
    deadlineMs,
  });
  onExitRequest(() => undefined);
  const capturedAt = new Float64Array(total);
  let seq = 0;

  onCommand(async (message) => {
    switch (message.type) {
      case 'start': {
        const startedAt = performance.now();
        send({ type: 'start-ok' });
        // Due-based ticks, as in the outage: a late timer catches up, so the offered rate stays exact.
        await new Promise((resolve) => {
          const timer = setInterval(() => {
            const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * rate));
            const at = nowMs();
            while (seq < due) {
              capturedAt[seq] = at;
              contender.track(seq++);
            }
            if (seq === total) {
              clearInterval(timer);
              resolve();
            }
          }, TICK_MS);
        });
        const endedAt = nowMs();
        send({ type: 'ended', at: endedAt });
        // The library's own "send everything": settled when every event is delivered or given up on.
        let timedOut = false;
        await Promise.race([
          Promise.resolve()
            .then(() => contender.flush())
            .catch(() => undefined),
          sleep(drainCapMs).then(() => {
            timedOut = true;
          }),
        ]);
        send({ type: 'flushed', at: nowMs(), timedOut });
        break;
      }
      case 'stop': {
        const closeStarted = performance.now();
        await contender.close(deadlineMs);
        const closeMs = performance.now() - closeStarted;
        // Failure callbacks fired by the shutdown itself land on the next turns; count them too.
        await sleep(200);
        send({
          type: 'result',
          captured: seq,
          closeMs,
          capturedAt: Array.from(capturedAt),
          report: contender.report(),
        });
        break;
      }
    }
  });
  send({ type: 'ready' });
}

main().catch(fail);
