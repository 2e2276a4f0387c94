// The child's side of the channel opened by child-process.mjs.

const inbox = [];
const waiters = [];
let exitHandler = () => process.exit(0);
let commandHandler = null;

process.on('message', (message) => {
  if (message?.type === 'exit') {
    exitHandler();
    return;
  }
  if (commandHandler) {
    commandHandler(message);
    return;
  }
  const index = waiters.findIndex((w) => w.type === message.type);
  if (index >= 0) waiters.splice(index, 1)[0].resolve(message);
  else inbox.push(message);
});
// An orphaned benchmark child would keep loading the machine and skew the next measurement.
process.on('disconnect', () => process.exit(0));

export function send(message) {
  if (process.connected) process.send(message);
}

export function next(type) {
  const index = inbox.findIndex((m) => m.type === type);
  if (index >= 0) return Promise.resolve(inbox.splice(index, 1)[0]);
  return new Promise((resolve) => waiters.push({ type, resolve }));
}

/** Routes every incoming message to one handler, for long-lived servers that answer commands. */
export function onCommand(handler) {
  commandHandler = (message) => {
    Promise.resolve()
      .then(() => handler(message))
      .catch(fail);
  };
}

/** Lets a child close its clients before exiting when the parent asks it to stop. */
export function onExitRequest(handler) {
  exitHandler = () => {
    Promise.resolve()
      .then(handler)
      .catch((error) => console.error(error))
      .finally(() => process.exit(0));
  };
}

/** Reports a fatal error to the parent (which prints it) and exits non-zero. */
export function fail(error) {
  console.error(error);
  send({ type: 'error', message: String(error?.stack ?? error) });
  setTimeout(() => process.exit(1), 50);
}

export function argument(name, fallback) {
  const prefix = `--${name}=`;
  const found = process.argv.find((a) => a.startsWith(prefix));
  return found === undefined ? fallback : found.slice(prefix.length);
}
