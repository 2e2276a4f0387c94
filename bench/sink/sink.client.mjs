// The parent's handle on a sink process.
import { forkChild } from '../harness/child-process.mjs';

export async function startSink(name = 'sink') {
  const child = forkChild('sink/sink.server.mjs', { name });
  const { port } = await child.next('ready', 30_000);
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    origin,
    /** For pinning the sink to a CPU. */
    pid: child.pid,
    reset: (libs) => child.request({ type: 'reset', libs }, 'reset-ok'),
    /** Arms a 'reached' notification for when `unique` distinct events of `lib` have arrived. */
    async expect(lib, unique) {
      await child.request({ type: 'expect', lib, unique }, 'expect-ok');
      return (timeoutMs) => child.next('reached', timeoutMs).then((m) => ({ ...m, at: BigInt(m.at) }));
    },
    async stats() {
      return (await child.request({ type: 'stats' }, 'stats-ok')).counters;
    },
    /** Starts timestamping the first arrival of each of `events` seqs of `lib`. */
    track: (lib, events) => child.request({ type: 'track', lib, events }, 'track-ok'),
    /** First-arrival times by seq, ms on the monotonic clock (`process.hrtime`); 0 = never arrived. */
    arrivals: async (lib) => (await child.request({ type: 'arrivals', lib }, 'arrivals-ok', 60_000)).times,
    /** Arms partial failure (`{ error, reset, lost, slow }` shares, `slowMs`, `seed`); null disarms. */
    faults: (plan, slowMs, seed) => child.request({ type: 'faults', plan, slowMs, seed }, 'faults-ok'),
    down: () => child.request({ type: 'down' }, 'down-ok'),
    up: () => child.request({ type: 'up', port }, 'up-ok'),
    stop: () => child.stop(),
  };
}
