// The parent's handle on a sink process.
import { forkChild } from '../harness/child-process.mjs';

export async function startSink(name = 'sink') {
  const child = forkChild('sink/sink.server.mjs', { name });
  const { port } = await child.next('ready', 30_000);
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    origin,
    reset: (libs) => child.request({ type: 'reset', libs }, 'reset-ok'),
    /** Arms a 'reached' notification for when `unique` distinct events of `lib` have arrived. */
    async expect(lib, unique) {
      await child.request({ type: 'expect', lib, unique }, 'expect-ok');
      return (timeoutMs) => child.next('reached', timeoutMs).then((m) => ({ ...m, at: BigInt(m.at) }));
    },
    async stats() {
      return (await child.request({ type: 'stats' }, 'stats-ok')).counters;
    },
    down: () => child.request({ type: 'down' }, 'down-ok'),
    up: () => child.request({ type: 'up', port }, 'up-ok'),
    stop: () => child.stop(),
  };
}
