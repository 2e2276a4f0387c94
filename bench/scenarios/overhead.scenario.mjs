// Request overhead: req/s and p99 latency of the same Nest route with and without @EmitsEvent, on
// Express and Fastify. The apps run in child processes (autocannon runs here, so the load generator
// never shares the app's event loop), fresh ones for every round.
//
// This machine's speed drifts by tens of percent from one second to the next, so runs taken one after
// the other, even interleaved in short slices, compare the drift as much as the module. Every run with
// the module is therefore paired with the app without it *under load at the same time*, both on the
// same CPU: the two see the same machine at every instant, each gets half of that CPU while both are
// busy, and each one's req/s is that half over its own cost per request. Their ratio is then the
// ratio of their costs, whatever the machine's speed did meanwhile (the `twin` variant, a second
// process of the app without the module, shows how close to 1.00× that reads). Where the machine has two or more CPUs, the apps share CPU 0
// and the load generator and the sink get the others, so that neither steals the apps' CPU.
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
  // A second process of the app without the module, on the same route: what the method reads where
  // there is no difference (its resolution).
  twin: { app: 'baseline-twin', path: '/orders', label: 'no SpotzeeModule, a second process of it' },
  // Both sides of a pair are under load at once, so each needs a process of its own.
  passthrough: {
    app: 'baseline-passthrough',
    path: '/orders/passthrough',
    label: 'no SpotzeeModule, a pass-through interceptor (Nest’s own cost)',
  },
  undecorated: { app: 'spotzee', path: '/orders', label: 'SpotzeeModule, route without @EmitsEvent' },
  decorated: { app: 'spotzee', path: '/orders/tracked', label: 'SpotzeeModule, @EmitsEvent (data + identify)' },
  // The decorated route with parts of its work left out, through public options only: what the target
  // for decorated routes can reach whatever the engine and the network cost.
  decoratedDryRun: {
    app: 'spotzee-dry-run',
    path: '/orders/tracked',
    label: 'SpotzeeModule with dryRun: true, @EmitsEvent: captured, queued, batched, settled; no network',
  },
  decoratedDiscarded: {
    app: 'spotzee',
    path: '/orders/tracked-refused',
    label: 'SpotzeeModule, @EmitsEvent on a route answering 422: captured and held, then discarded; no queue',
    status: 422,
  },
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

/**
 * The apps a platform runs: without the module (three processes: the baseline of every pair, its
 * twin, the pass-through interceptor's), with it, with it and a service that is given the tracker.
 * Each maps to the shape of `overhead.app.mjs` it starts.
 */
const SHAPES = ['baseline', 'baseline-twin', 'baseline-passthrough', 'spotzee', 'spotzee-dry-run', 'spotzee-contexts'];
const APP_SHAPE = { 'baseline-twin': 'baseline', 'baseline-passthrough': 'baseline' };

/**
 * Where a decorated variant's events must all have gone, one per response it answered: to the sink,
 * settled as delivered without a network (dry run), or discarded with their failed response.
 */
const EVENTS_EXPECTED = {
  decorated: (run) => run.eventsAtSink >= run.responses2xx,
  decoratedContexts: (run) => run.eventsAtSink >= run.responses2xx,
  decoratedDryRun: (run) => run.eventsDelivered >= run.responses2xx,
  decoratedDiscarded: (run) => run.eventsDiscarded >= run.non2xx && run.responses2xx === 0,
};

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
  const { seconds, warmupSeconds, pairWarmupSeconds, connections } = config.overhead;
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
          args: [`--platform=${platform}`, `--variant=${APP_SHAPE[shape] ?? shape}`, `--origin=${sink.origin}`],
          execArgv: shape.startsWith('baseline') ? [] : profileArgs(config, `overhead-${platform}`, shape, round),
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
    /**
     * `variant` and the app without the module under load at the same time, for `seconds`: each app
     * with its own autocannon instance and its own connections. Every app's delivery queue is
     * flushed first, so no earlier run's backlog is delivered on the shared CPU during this one; each
     * side's CPU time includes the delivery of its own run's events (flushed after the run).
     */
    async function measurePair(platform, variant) {
      const { app, path, status = 201 } = VARIANTS[variant];
      const pair = [
        { shape: 'baseline', path: VARIANTS.baseline.path, status: 201 },
        { shape: app, path, status },
      ];
      const child = (shape) => apps[`${platform}/${shape}`];
      /** Every app's queue delivered; its CPU time and stats, by shape. */
      const flushAll = async () => {
        const snapshots = await Promise.all(
          SHAPES.map((shape) => child(shape).child.request({ type: 'flush' }, 'flush-ok')),
        );
        return Object.fromEntries(SHAPES.map((shape, index) => [shape, snapshots[index]]));
      };
      const loadBoth = (duration) =>
        Promise.all(pair.map((side) => load(child(side.shape).url + side.path, duration, connections)));
      // Both sides are brought back under load first: the baseline app serves every pair, the other
      // app only its own, and an app that idled in between runs slower for a while once loaded again
      // (two processes of the same app read 0.92–0.95× on Fastify, 0.66–0.74× on Express, without).
      await loadBoth(pairWarmupSeconds);
      const before = await flushAll();
      await sink.reset(['spotzee']);
      const started = process.hrtime.bigint();
      const results = await loadBoth(seconds);
      const wallUs = Number(process.hrtime.bigint() - started) / 1000;
      const after = await flushAll();
      const eventsAtSink = (await sink.stats()).spotzee?.events ?? 0;
      const [base, run] = pair.map(({ shape, status: expected }, index) => {
        const result = results[index];
        const responses = result['2xx'] + result.non2xx;
        const cpuUs = after[shape].cpuUs - before[shape].cpuUs;
        const withModule = !shape.startsWith('baseline');
        return {
          reqPerSec: result.duration > 0 ? responses / result.duration : null,
          p99Ms: result.latency.p99,
          p50Ms: result.latency.p50,
          responses2xx: result['2xx'],
          non2xx: result.non2xx,
          // Responses with another status than the route answers (201; the refused route's 422).
          unexpected: responses - (result.statusCodeStats?.[expected]?.count ?? 0),
          errors: result.errors,
          timeouts: result.timeouts,
          cpuUs,
          cpuUsPerRequest: responses ? cpuUs / responses : null,
          eventsDelivered: withModule ? after[shape].stats.delivered - before[shape].stats.delivered : 0,
          eventsDiscarded: withModule ? after[shape].stats.discarded - before[shape].stats.discarded : 0,
          eventsAtSink: withModule ? eventsAtSink : 0,
        };
      });
      // The share of one CPU the two apps used together (their delivery tails included): near 1.00
      // where they share a pinned CPU and the load generator kept both busy. Well below it, the load
      // generator limited the run and the ratio understates the difference between them.
      const busyShare = (base.cpuUs + run.cpuUs) / wallUs;
      return { base, run, busyShare };
    }

    const rounds = [];
    const busyShares = [];
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
        for (const variant of orders[index]) {
          // Under load at the same time as the app without the module, on the same CPU.
          const { base, run, busyShare } = await measurePair(platform, variant);
          busyShares.push(busyShare);
          baselines.push(base);
          round.results[platform][variant] = run;
          round.pairedBaseline[platform][variant] = base;
          const cpu = run.cpuUsPerRequest;
          log(
            `overhead round ${index + 1} ${platform} ${variant}: ${run.reqPerSec.toFixed(0)} req/s ` +
              `(paired baseline ${base.reqPerSec.toFixed(0)}, ${ratio(run.reqPerSec, base.reqPerSec).toFixed(2)}×), ` +
              `p99 ${run.p99Ms} ms, ${cpu?.toFixed(0)} µs CPU/request (baseline ${base.cpuUsPerRequest?.toFixed(0)}), ` +
              `${run.eventsAtSink} events at the sink for ${run.responses2xx} 2xx; the apps used ` +
              `${busyShare.toFixed(2)} of a CPU together`,
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
      config: { ...config.overhead, pinned: pinned ? plan : null, paired: true, concurrent: true },
      busyShare: summarize(busyShares),
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

function medianRun(runs) {
  const sorted = [...runs].sort((a, b) => a.reqPerSec - b.reqPerSec);
  return sorted[Math.floor(sorted.length / 2)];
}

export function summarizeOverhead(rounds) {
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
        non2xx: runs.reduce((sum, r) => sum + (r.unexpected ?? r.non2xx) + r.errors + r.timeouts, 0),
        eventsMatchResponses: runs.every((r) => EVENTS_EXPECTED[variant]?.(r) ?? true),
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
    const capitalized = (variant) => `${variant[0].toUpperCase()}${variant.slice(1)}`;
    ratios[platform] = {
      // Every variant against the app without the module: req/s, and CPU per request inverted so
      // that, like req/s, 1.00× means no overhead and lower is worse.
      ...Object.fromEntries(
        Object.keys(VARIANTS)
          .filter((variant) => variant !== 'baseline')
          .flatMap((variant) => [
            [`${variant}VsBaseline`, perRound(variant, 'baseline')],
            [`cpu${capitalized(variant)}VsBaseline`, cpuPerRound(variant)],
          ]),
      ),
      decoratedVsUndecorated: perRound('decorated', 'undecorated'),
      undecoratedVsPassthrough: perRound('undecorated', 'passthrough'),
      cpuDecoratedVsUndecorated: cpuPerRound('decorated', 'undecorated'),
      cpuUndecoratedVsPassthrough: cpuPerRound('undecorated', 'passthrough'),
    };
  }
  return { summary, ratios };
}
