// Request overhead: req/s and p99 latency of the same Nest route with and without @EmitsEvent, on
// Express and Fastify. The apps run in child processes (autocannon runs here, so the load generator
// never shares the app's event loop), fresh ones for every round.
//
// This machine's speed drifts by tens of percent over seconds, so every run with the module is paired
// with a run of the app without it, the two cut into short slices and interleaved (which starts
// alternates), and each ratio is taken within its pair. Where the machine has two or more CPUs, the
// apps share one of them and the load generator and the sink get the others, so that neither steals
// the app's CPU at random moments.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';
import { forkChild } from '../harness/child-process.mjs';
import { profileArgs } from '../harness/cpu-profile.mjs';
import { interleave, ratio, summarize } from '../harness/stats.mjs';
import { startSink } from '../sink/sink.client.mjs';

export const PLATFORMS = ['express', 'fastify'];
export const VARIANTS = {
  baseline: { app: 'baseline', path: '/orders', label: 'no SpotzeeModule' },
  passthrough: {
    app: 'baseline',
    path: '/orders/passthrough',
    label: 'no SpotzeeModule, a pass-through interceptor (Nest’s own cost)',
  },
  undecorated: { app: 'spotzee', path: '/orders', label: 'SpotzeeModule, route without @EmitsEvent' },
  decorated: { app: 'spotzee', path: '/orders/tracked', label: 'SpotzeeModule, @EmitsEvent (data + identify)' },
  undecoratedContexts: {
    app: 'spotzee-contexts',
    path: '/orders',
    label: 'SpotzeeModule and a service given the tracker (request contexts on), route without @EmitsEvent',
  },
  decoratedContexts: {
    app: 'spotzee-contexts',
    path: '/orders/tracked',
    label: 'SpotzeeModule and a service given the tracker (request contexts on), @EmitsEvent',
  },
};

/** The apps a platform runs: without the module, with it, with it and a service that is given the tracker. */
const SHAPES = ['baseline', 'spotzee', 'spotzee-contexts'];
const DECORATED = new Set(['decorated', 'decoratedContexts']);

const REQUEST = {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-anonymous-id': 'anon_bench_visitor' },
  body: JSON.stringify({ customerId: 'cus_42', total: 129.9, currency: 'EUR' }),
};

function load(url, seconds, connections) {
  return autocannon({ url, ...REQUEST, connections, duration: seconds, pipelining: 1 });
}

/**
 * Pins every thread of `pid` to `cpus` (a taskset list); false where taskset is missing or refuses.
 * Pinning only moves processes between CPUs: it never changes what a run measures, only its noise.
 */
function pin(pid, cpus) {
  try {
    execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** CPU 0 for the apps, the rest for autocannon (this process) and the sink; null on one CPU. */
function cpuPlan() {
  const count = availableParallelism();
  return count >= 2 ? { apps: '0', others: `1-${count - 1}`, all: `0-${count - 1}` } : null;
}

export async function runOverhead(config, log) {
  const { seconds, slices, warmupSeconds, connections } = config.overhead;
  const sink = await startSink('overhead-sink');
  const plan = cpuPlan();
  const pinned = plan !== null && pin(process.pid, plan.others) && pin(sink.pid, plan.others);
  let apps = {};
  log(
    pinned
      ? `overhead: apps pinned to CPU ${plan.apps}, autocannon and the sink to CPUs ${plan.others}`
      : 'overhead: processes not pinned (one CPU, or no taskset)',
  );

  /**
   * Fresh app processes for a round, warmed up, so that rounds are independent: apps kept across
   * rounds would carry one process's state (memory layout, JIT decisions, what earlier rounds left in
   * its heap) through every round, and the rounds' spread would no longer show how far a run moves.
   */
  async function startApps(round) {
    // Each child is recorded before it is awaited, so that `stopApps()` stops it whatever happens next.
    const started = (apps = {});
    for (const platform of PLATFORMS) {
      for (const shape of SHAPES) {
        const child = forkChild('scenarios/overhead.app.mjs', {
          name: `overhead-${platform}-${shape}`,
          args: [`--platform=${platform}`, `--variant=${shape}`, `--origin=${sink.origin}`],
          execArgv: shape === 'baseline' ? [] : profileArgs(config, `overhead-${platform}`, shape, round),
        });
        started[`${platform}/${shape}`] = { child, url: null };
        started[`${platform}/${shape}`].url = (await child.next('ready', 60_000)).url;
        if (pinned) pin(child.pid, plan.apps);
      }
    }
    for (const platform of PLATFORMS) {
      for (const [variant, { app, path }] of Object.entries(VARIANTS)) {
        const result = await load(started[`${platform}/${app}`].url + path, warmupSeconds, connections);
        log(`overhead round ${round + 1} warm-up ${platform} ${variant}: ${result.requests.average.toFixed(0)} req/s`);
      }
    }
  }

  async function stopApps() {
    await Promise.all(Object.values(apps).map(({ child }) => child.stop()));
    apps = {};
  }

  try {
    /** One autocannon slice of `variant`, with the app CPU it cost and the events it delivered. */
    async function measureSlice(platform, variant, sliceSeconds) {
      const { app, path } = VARIANTS[variant];
      const target = apps[`${platform}/${app}`];
      const withModule = app !== 'baseline';
      const spotzeeApp = apps[`${platform}/${withModule ? app : 'spotzee'}`].child;
      // Every slice starts with every app's delivery queue empty, so no slice's backlog is delivered
      // on the measured app's CPU during the next one, whichever app it came from.
      const flushed = await Promise.all(
        SHAPES.map((shape) => apps[`${platform}/${shape}`].child.request({ type: 'flush' }, 'flush-ok')),
      );
      const before = flushed[SHAPES.indexOf(withModule ? app : 'spotzee')];
      const cpuBefore = flushed[SHAPES.indexOf(app)].cpuUs;
      await sink.reset(['spotzee']);
      const result = await load(target.url + path, sliceSeconds, connections);
      // The app's CPU time, delivery of the slice's events included: far less sensitive to other
      // load on the machine than req/s, which also depends on the load generator's share.
      const after = await target.child.request({ type: 'flush' }, 'flush-ok');
      const afterSpotzee = withModule ? after : await spotzeeApp.request({ type: 'flush' }, 'flush-ok');
      return {
        responses: result['2xx'] + result.non2xx,
        seconds: result.duration,
        p99Ms: result.latency.p99,
        p50Ms: result.latency.p50,
        responses2xx: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        cpuUs: after.cpuUs - cpuBefore,
        eventsDelivered: afterSpotzee.stats.delivered - before.stats.delivered,
        eventsAtSink: (await sink.stats()).spotzee?.events ?? 0,
      };
    }

    /**
     * A run of `variant` and a run of the app without the module, each `seconds` long, cut into
     * `slices` slices per side and interleaved in Thue–Morse order (A B B A B A A B …): a drift of the
     * machine's speed that is linear or quadratic over the pair falls equally on both sides. Which
     * side starts alternates with `baselineFirst`.
     */
    async function measurePair(platform, variant, baselineFirst) {
      const sides = { baseline: [], run: [] };
      const sliceSeconds = seconds / slices;
      for (let index = 0; index < 2 * slices; index++) {
        const parity = popCount(index) % 2 === 0;
        const side = parity === baselineFirst ? 'baseline' : 'run';
        sides[side].push(await measureSlice(platform, side === 'baseline' ? 'baseline' : variant, sliceSeconds));
      }
      return { base: combineSlices(sides.baseline), run: combineSlices(sides.run) };
    }

    const rounds = [];
    const measured = Object.keys(VARIANTS).filter((variant) => variant !== 'baseline');
    const orders = interleave(measured, config.rounds);
    for (let index = 0; index < config.rounds; index++) {
      await startApps(index);
      const platforms = index % 2 ? [...PLATFORMS].reverse() : PLATFORMS;
      const round = { results: {}, pairedBaseline: {} };
      for (const platform of platforms) {
        round.results[platform] = {};
        round.pairedBaseline[platform] = {};
        const baselines = [];
        for (const [position, variant] of orders[index].entries()) {
          // Interleaved with a run of the app without the module; which side starts alternates.
          const { base, run } = await measurePair(platform, variant, (index + position) % 2 === 0);
          baselines.push(base);
          round.results[platform][variant] = run;
          round.pairedBaseline[platform][variant] = base;
          const cpu = run.cpuUsPerRequest;
          log(
            `overhead round ${index + 1} ${platform} ${variant}: ${run.reqPerSec.toFixed(0)} req/s ` +
              `(paired baseline ${base.reqPerSec.toFixed(0)}, ${ratio(run.reqPerSec, base.reqPerSec).toFixed(2)}×), ` +
              `p99 ${run.p99Ms} ms, ${cpu?.toFixed(0)} µs CPU/request (baseline ${base.cpuUsPerRequest?.toFixed(0)}), ` +
              `${run.eventsAtSink} events at the sink for ${run.responses2xx} 2xx`,
          );
        }
        // The round's baseline row: its median run, for the table of absolute figures.
        round.results[platform].baseline = medianRun(baselines);
      }
      rounds.push(round);
      await stopApps();
    }
    const strayRequests = (await sink.stats()).unrouted?.requests ?? 0;
    return {
      config: { ...config.overhead, pinned: pinned ? plan : null, paired: true },
      variants: VARIANTS,
      rounds,
      strayRequests,
      ...summarizeOverhead(rounds),
    };
  } finally {
    await stopApps();
    await sink.stop();
    if (pinned) pin(process.pid, plan.all);
  }
}

/** Bits set in a non-negative integer: its parity gives the Thue–Morse sequence. */
function popCount(n) {
  let count = 0;
  for (let rest = n; rest > 0; rest >>= 1) count += rest & 1;
  return count;
}

/** One side of a pair from its slices: totals over the slices, and the median slice's latencies. */
function combineSlices(slices) {
  const total = (key) => slices.reduce((sum, slice) => sum + slice[key], 0);
  const responses = total('responses');
  const elapsed = total('seconds');
  return {
    reqPerSec: elapsed > 0 ? responses / elapsed : null,
    p99Ms: summarize(slices.map((slice) => slice.p99Ms)).median,
    p50Ms: summarize(slices.map((slice) => slice.p50Ms)).median,
    responses2xx: total('responses2xx'),
    non2xx: total('non2xx'),
    errors: total('errors'),
    timeouts: total('timeouts'),
    cpuUsPerRequest: responses ? total('cpuUs') / responses : null,
    eventsDelivered: total('eventsDelivered'),
    eventsAtSink: total('eventsAtSink'),
  };
}

function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.reqPerSec - b.reqPerSec);
  return sorted[Math.floor(sorted.length / 2)];
}

function summarizeOverhead(rounds) {
  const summary = {};
  const ratios = {};
  for (const platform of PLATFORMS) {
    summary[platform] = {};
    for (const variant of Object.keys(VARIANTS)) {
      const runs = rounds.map((r) => r.results[platform][variant]);
      summary[platform][variant] = {
        reqPerSec: summarize(runs.map((r) => r.reqPerSec)),
        p99Ms: summarize(runs.map((r) => r.p99Ms)),
        cpuUsPerRequest: summarize(runs.map((r) => r.cpuUsPerRequest)),
        non2xx: runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
        eventsMatchResponses: runs.every((r) => !DECORATED.has(variant) || r.eventsAtSink >= r.responses2xx),
      };
    }
    // Each run against the baseline run it was paired with (both saw the same machine weather), then
    // the median over rounds. Two variants compare through their pairs: (a / its baseline) / (b / its).
    const vsBaseline = (variant, key) => (r) =>
      ratio(r.results[platform][variant][key], r.pairedBaseline[platform][variant][key]);
    const perRound = (a, b, key = 'reqPerSec') =>
      summarize(
        rounds.map((r) => {
          if (b === 'baseline') return vsBaseline(a, key)(r);
          return ratio(vsBaseline(a, key)(r), vsBaseline(b, key)(r));
        }),
      );
    const cpuPerRound = (variant, against = 'baseline') =>
      summarize(
        rounds.map((r) => {
          const cost = (v) =>
            ratio(r.pairedBaseline[platform][v].cpuUsPerRequest, r.results[platform][v].cpuUsPerRequest);
          return against === 'baseline' ? cost(variant) : ratio(cost(variant), cost(against));
        }),
      );
    ratios[platform] = {
      decoratedVsUndecorated: perRound('decorated', 'undecorated'),
      decoratedVsBaseline: perRound('decorated', 'baseline'),
      undecoratedVsBaseline: perRound('undecorated', 'baseline'),
      undecoratedVsPassthrough: perRound('undecorated', 'passthrough'),
      undecoratedContextsVsBaseline: perRound('undecoratedContexts', 'baseline'),
      decoratedContextsVsBaseline: perRound('decoratedContexts', 'baseline'),
      // CPU per request, inverted so that, like req/s, 1.00× means no overhead and lower is worse.
      cpuDecoratedVsUndecorated: cpuPerRound('decorated', 'undecorated'),
      cpuDecoratedVsBaseline: cpuPerRound('decorated'),
      cpuUndecoratedVsBaseline: cpuPerRound('undecorated'),
      cpuUndecoratedVsPassthrough: cpuPerRound('undecorated', 'passthrough'),
      cpuUndecoratedContextsVsBaseline: cpuPerRound('undecoratedContexts'),
      cpuDecoratedContextsVsBaseline: cpuPerRound('decoratedContexts'),
    };
  }
  return { summary, ratios };
}
