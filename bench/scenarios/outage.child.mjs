// One contender through an ingestion outage: a steady capture rate before, during and after the sink
// is unreachable, then the library's own shutdown with a deadline. Measures event-loop delay per phase,
// memory (sampled, plus live heap after a forced GC at checkpoints the parent calls) and what the
// library itself reported as lost.
import { startDelayMonitor } from '../harness/event-loop-delay.mjs';
import { argument, fail, onCommand, onExitRequest, send } from '../harness/ipc-child.mjs';
import { createContender } from '../contenders/contenders.mjs';

const MiB = 1024 * 1024;
const SAMPLE_MS = 250;
const TICK_MS = 10;

async function main() {
  const name = argument('contender');
  const rate = Number(argument('rate'));
  // Every contender is offered exactly this many events, even one whose event loop falls behind.
  const total = Math.round(rate * Number(argument('capture-seconds')));
  const deadlineMs = Number(argument('deadline-ms'));
  const contender = await createContender(name, {
    origin: argument('origin'),
    profile: 'outage',
    queueLimit: Number(argument('queue-limit')),
    queueBytes: argument('queue-bytes') ? Number(argument('queue-bytes')) : undefined,
    deadlineMs,
  });
  onExitRequest(() => undefined);

  let seq = 0;
  let phase = 'idle';
  let monitor = null;
  const delays = {};
  const samples = [];
  const checkpoints = {};
  let startedAt = 0;
  let captureTimer = null;
  let sampleTimer = null;

  function enterPhase(next) {
    if (monitor) delays[phase] = monitor.stop();
    phase = next;
    monitor = startDelayMonitor();
  }

  function sample() {
    const { heapUsed, rss } = process.memoryUsage();
    samples.push({
      t: Math.round(performance.now() - startedAt),
      phase,
      heapMiB: heapUsed / MiB,
      rssMiB: rss / MiB,
      captured: seq,
      backlog: contender.backlog?.() ?? null,
    });
  }

  onCommand(async (message) => {
    switch (message.type) {
      case 'start': {
        startedAt = performance.now();
        enterPhase('steady');
        // Due-based ticks: a late timer catches up, so the offered rate stays exact under load.
        captureTimer = setInterval(() => {
          const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * rate));
          while (seq < due) contender.track(seq++);
        }, TICK_MS);
        sampleTimer = setInterval(sample, SAMPLE_MS);
        send({ type: 'start-ok' });
        break;
      }
      case 'phase':
        enterPhase(message.name);
        send({ type: 'phase-ok' });
        break;
      case 'checkpoint': {
        // The forced GC's own pause is kept out of the event-loop delay figures.
        monitor.pause();
        globalThis.gc();
        const { heapUsed, rss } = process.memoryUsage();
        // `t` shows when a blocked child actually got to the checkpoint.
        const t = Math.round(performance.now() - startedAt);
        checkpoints[message.label] = { t, heapMiB: heapUsed / MiB, rssMiB: rss / MiB, captured: seq };
        monitor.resume();
        send({ type: 'checkpoint-ok' });
        break;
      }
      case 'stop': {
        clearInterval(captureTimer);
        // Top up to the exact offered total: the last timer tick may not have fired yet.
        while (seq < total) contender.track(seq++);
        enterPhase('drain');
        const closeStarted = performance.now();
        await contender.close(deadlineMs);
        const closeMs = performance.now() - closeStarted;
        // Failure callbacks fired by the shutdown itself land on the next turns; count them too.
        await new Promise((resolve) => setTimeout(resolve, 200));
        sample();
        clearInterval(sampleTimer);
        enterPhase('done');
        globalThis.gc();
        checkpoints.afterClose = { heapMiB: process.memoryUsage().heapUsed / MiB, captured: seq };
        send({ type: 'result', captured: seq, closeMs, delays, samples, checkpoints, report: contender.report() });
        break;
      }
    }
  });
  send({ type: 'ready' });
}

main().catch(fail);
