// Request overhead: req/s and p99 latency of the same Nest route with and without @EmitsEvent, on
// Express and Fastify. The apps run in child processes (autocannon runs here, so the load generator
// never shares the app's event loop) and stay up across rounds; variants rotate per round and the
// platform order alternates.
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

export async function runOverhead(config, log) {
  const { seconds, warmupSeconds, connections } = config.overhead;
  const sink = await startSink('overhead-sink');
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
        apps[`${platform}/${shape}`] = { child, url };
      }
    }
    for (const platform of PLATFORMS) {
      for (const [variant, { app, path }] of Object.entries(VARIANTS)) {
        const result = await load(apps[`${platform}/${app}`].url + path, warmupSeconds, connections);
        log(`overhead warm-up ${platform} ${variant}: ${result.requests.average.toFixed(0)} req/s`);
      }
    }

    const rounds = [];
    const orders = interleave(Object.keys(VARIANTS), config.rounds);
    for (let index = 0; index < config.rounds; index++) {
      const platforms = index % 2 ? [...PLATFORMS].reverse() : PLATFORMS;
      const round = { results: {} };
      for (const platform of platforms) {
        round.results[platform] = {};
        for (const variant of orders[index]) {
          const { app, path } = VARIANTS[variant];
          const target = apps[`${platform}/${app}`];
          const withModule = app !== 'baseline';
          const spotzeeApp = apps[`${platform}/${withModule ? app : 'spotzee'}`].child;
          // Every run starts with an empty delivery queue, so one run's backlog never slows the next.
          const before = await spotzeeApp.request({ type: 'flush' }, 'flush-ok');
          const cpuBefore = withModule
            ? before.cpuUs
            : (await target.child.request({ type: 'flush' }, 'flush-ok')).cpuUs;
          await sink.reset(['spotzee']);
          const result = await load(target.url + path, seconds, connections);
          // The app's CPU time per request, delivery of the run's events included: far less sensitive
          // to other load on the machine than req/s, which also depends on the load generator's share.
          const after = await target.child.request({ type: 'flush' }, 'flush-ok');
          const afterSpotzee = withModule ? after : await spotzeeApp.request({ type: 'flush' }, 'flush-ok');
          const received = (await sink.stats()).spotzee?.events ?? 0;
          const responses = result['2xx'] + result.non2xx;
          round.results[platform][variant] = {
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
          const cpu = round.results[platform][variant].cpuUsPerRequest;
          log(
            `overhead round ${index + 1} ${platform} ${variant}: ${result.requests.average.toFixed(0)} req/s, ` +
              `p99 ${result.latency.p99} ms, ${cpu?.toFixed(0)} µs CPU/request, ${received} events at the sink for ${result['2xx']} 2xx`,
          );
        }
      }
      rounds.push(round);
    }
    const strayRequests = (await sink.stats()).unrouted?.requests ?? 0;
    return { config: config.overhead, variants: VARIANTS, rounds, strayRequests, ...summarizeOverhead(rounds) };
  } finally {
    await Promise.all(Object.values(apps).map(({ child }) => child.stop()));
    await sink.stop();
  }
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
    // Per-round ratios first, then their median: both runs of a round saw the same machine weather.
    const perRound = (a, b, key = 'reqPerSec') =>
      summarize(rounds.map((r) => ratio(r.results[platform][a][key], r.results[platform][b][key])));
    ratios[platform] = {
      decoratedVsUndecorated: perRound('decorated', 'undecorated'),
      decoratedVsBaseline: perRound('decorated', 'baseline'),
      undecoratedVsBaseline: perRound('undecorated', 'baseline'),
      undecoratedVsPassthrough: perRound('undecorated', 'passthrough'),
      undecoratedContextsVsBaseline: perRound('undecoratedContexts', 'baseline'),
      decoratedContextsVsBaseline: perRound('decoratedContexts', 'baseline'),
      // CPU per request, inverted so that, like req/s, 1.00× means no overhead and lower is worse.
      cpuDecoratedVsUndecorated: perRound('undecorated', 'decorated', 'cpuUsPerRequest'),
      cpuDecoratedVsBaseline: perRound('baseline', 'decorated', 'cpuUsPerRequest'),
      cpuUndecoratedVsBaseline: perRound('baseline', 'undecorated', 'cpuUsPerRequest'),
      cpuUndecoratedVsPassthrough: perRound('passthrough', 'undecorated', 'cpuUsPerRequest'),
      cpuUndecoratedContextsVsBaseline: perRound('baseline', 'undecoratedContexts', 'cpuUsPerRequest'),
      cpuDecoratedContextsVsBaseline: perRound('baseline', 'decoratedContexts', 'cpuUsPerRequest'),
    };
  }
  return { summary, ratios };
}
