import { AsyncResource } from 'node:async_hooks';

/**
 * Created when this module is first loaded, outside any request. Timers and sends started inside it
 * carry no caller's AsyncLocalStorage state, so a flush never runs "inside" whichever request happened
 * to trigger it (no leaked request context, no request-scoped logger picking up engine work).
 */
const scope = new AsyncResource('nestjs-spotzee.delivery', { requireManualDestroy: true });
// Announced as destroyed at once: it is a context to run in, not a handle that keeps anything open, and
// `jest --detectOpenHandles` reports every async resource whose destroy it has not seen. Running in it
// afterwards is unaffected (AsyncLocalStorage reads the store it was created with).
scope.emitDestroy();

function runDetached<T>(fn: () => T): T {
  return scope.runInAsyncScope(fn);
}

/** An unref'd (or, while someone awaits the engine, ref'd) timer in the detached scope. */
export function detachedTimeout(
  fn: () => void,
  delayMs: number,
  { keepAlive }: { keepAlive: boolean },
): NodeJS.Timeout {
  return runDetached(() => {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    if (!keepAlive) timer.unref();
    return timer;
  });
}

export function detachedImmediate(fn: () => void): void {
  runDetached(() => setImmediate(fn));
}
