// An idle Node process measuring its own event-loop delay through the same phases as an outage run:
// the delay a process sees from the machine alone (other processes, the scheduler), so the libraries'
// figures can be read against that floor on a shared machine.
import { startDelayMonitor } from '../harness/event-loop-delay.mjs';
import { fail, onCommand, onExitRequest, send } from '../harness/ipc-child.mjs';

let phase = null;
let monitor = null;
const delays = {};

function enterPhase(next) {
  if (monitor) delays[phase] = monitor.stop();
  phase = next;
  monitor = startDelayMonitor();
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
