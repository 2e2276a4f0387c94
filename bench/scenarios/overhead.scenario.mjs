// Request overhead: req/s and p99 latency of the same Nest route with and without @EmitsEvent, on
// Express and Fastify. The apps run in child processes (autocannon runs here, so the load generator
// never shares the app's event loop) and stay up across rounds.
//
// This machine's speed drifts by tens of percent over seconds, so every run with the module is paired
// with a run of the app without it, back to back (which goes first alternates), and each ratio is
// taken within its pair. Where the machine has two or more CPUs, the apps share one of them and the
// load generator and the sink get the others, so that neither steals the app's CPU at random moments.
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
  const { seconds, warmupSeconds, connections } = config.overhead;
  const sink = await startSink('overhead-sink');
  const plan = cpuPlan();
  const pinned = plan !== null && pin(process.pid, plan.others) && pin(sink.pid, plan.others);
  const apps = {};
  try {
    for (const platform of PLATFORMS) {
      for (const shape of SHAPES) {
        const child = forkChild('scenarios/overhead.app.mjs', {
          name: `overhead-${platform}-${shape}`,
          args: [`--platform=${platform}`, `--variant=${shape}`, `--origin=${sink.origin}`],
          execArgv: shape === 'baseline' ? [] : profileArgs(config, `overhead-${platform}`, shape),
        });
        const { url } = await child.next('ready', 60_000);
        if (pinned) pin(child.pid, plan.apps);
        apps[`${platform}/${shape}`] = { child, url };
      }
    }
    log(
      pinned
        ? `overhead: apps pinned to CPU ${plan.apps}, autocannon and the sink to CPUs ${plan.others}`
        : 'overhead: processes not pinned (one CPU, or no taskset)',
    );
    for (const platform of PLATFORMS) {
      for (const [variant, { app, path }] of Object.entries(VARIANTS)) {
        const result = await load(apps[`${platform}/${app}`].url + path, warmupSeconds, connections);
        log(`overhead warm-up ${platform} ${variant}: ${result.requests.average.toFixed(0)} req/s`);
      }
    }

    /** One autocannon run of `variant`, with the app CPU it cost and the events it delivered. */
    async function measure(platform, variant) {
      const { app, path } = VARIANTS[variant];
      const target = apps[`${platform}/${app}`];
      const withModule = app !== 'baseline';
      const spotzeeApp = apps[`${platform}/${withModule ? app : 'spotzee'}`].child;
      // Every run starts with an empty delivery queue, so one run's backlog never slows the next.
      const before = await spotzeeApp.request({ type: 'flush' }, 'flush-ok');
      const cpuBefore = withModule ? before.cpuUs : (await target.child.request({ type: 'flush' }, 'flush-ok')).cpuUs;
      await sink.reset(['spotzee']);
      const result = await load(target.url + path, seconds, connections);
      // The app's CPU time per request, delivery of the run's events included: far less sensitive
      // to other load on the machine than req/s, which also depends on the load generator's share.
      const after = await target.child.request({ type: 'flush' }, 'flush-ok');
      const afterSpotzee = withModule ? after : await spotzeeApp.request({ type: 'flush' }, 'flush-ok');
      const received = (await sink.stats()).spotzee?.events ?? 0;
      const responses = result['2xx'] + result.non2xx;
      return {
        reqPerSec: result.requests.average,
        p99Ms: result.latency.p99,
        p50Ms: result.latency.p50,
        responses2xx: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        cpuUsPerRequest: responses ? (after.cpuUs - cpuBefore) / responses : null,
        eventsDelivered: afterSpotzee.stats.delivered - before.stats.delivered,
        eventsAtSink: received,
      };
    }

    const rounds = [];
    const measured = Object.keys(VARIANTS).filter((variant) => variant !== 'baseline');
    const orders = interleave(measured, config.rounds);
    for (let index = 0; index < config.rounds; index++) {
      const platforms = index % 2 ? [...PLATFORMS].reverse() : PLATFORMS;
      const round = { results: {}, pairedBaseline: {} };
      for (const platform of platforms) {
        round.results[platform] = {};
        round.pairedBaseline[platform] = {};
        const baselines = [];
        for (const [position, variant] of orders[index].entries()) {
          // Back to back with a run of the app without the module; which goes first alternates.
          const baselineFirst = (index + position) % 2 === 0;
          const first = await measure(platform, baselineFirst ? 'baseline' : variant);
          const second = await measure(platform, baselineFirst ? variant : 'baseline');
          const [base, run] = baselineFirst ? [first, second] : [second, first];
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
    await Promise.all(Object.values(apps).map(({ child }) => child.stop()));
    await sink.stop();
    if (pinned) pin(process.pid, plan.all);
  }
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
