// An idle Node process measuring its own event-loop delay through the same phases as an outage run:
// the delay a process sees from the machine alone (other processes, the scheduler), so the libraries'
// figures can be read against that floor on a shared machine.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fail, onCommand, onExitRequest, send } from '../harness/ipc-child.mjs';

let phase = null;
let histogram = null;
const delays = {};

function enterPhase(next) {
  if (histogram) {
    histogram.disable();
    delays[phase] = { p50Ms: histogram.percentile(50) / 1e6, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6, samples: histogram.count };
  }
  phase = next;
  histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
}

onExitRequest(() => undefined);
onCommand((message) => {
  switch (message.type) {
    case 'start':
      enterPhase('steady');
      send({ type: 'start-ok' });
      break;
    case 'phase':
      enterPhase(message.name);
      send({ type: 'phase-ok' });
      break;
    case 'stop':
      enterPhase('done');
      send({ type: 'result', delays });
      break;
  }
});
send({ type: 'ready' });
process.on('uncaughtException', fail);
