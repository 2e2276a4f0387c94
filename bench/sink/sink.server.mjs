// A minimal, fast collector that speaks just enough of each contender's ingestion API to accept its
// batches: Spotzee `POST /api/client/events` (bare array, 204), Segment `POST /v1/batch`
// (`{ batch }`, 200) and PostHog `POST /batch/` (`{ api_key, batch }`, 200, gzip when enabled).
// It runs in its own process so its parsing never competes with the contender's event loop, and it
// counts what actually arrived: events, and unique events by the payload's `seq` so a retried batch
// cannot inflate a throughput number. On command it refuses connections (an outage), fails a share of
// requests in mixed ways (partial failure, see `faults` below), and timestamps each event's first
// arrival on the machine's monotonic clock, which every process on it shares.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { argument, fail, onCommand, onExitRequest, send } from '../harness/ipc-child.mjs';

const ROUTES = {
  '/api/client/events': { lib: 'spotzee', status: 204, body: '', events: (b) => b },
  '/v1/batch': { lib: 'segment', status: 200, body: '{"success":true}', events: (b) => b.batch },
  '/batch/': { lib: 'posthog', status: 200, body: '{"status":"Ok"}', events: (b) => b.batch },
  '/batch': { lib: 'posthog', status: 200, body: '{"status":"Ok"}', events: (b) => b.batch },
};

const counters = new Map();
const expectations = new Map();
/** Per library: first-arrival time of each `seq` (ms on the monotonic clock), once `track` asked for it. */
const arrivals = new Map();
/** Partial failure, when armed: `{ plan: [[kind, share]…], slowMs, random }`, see FAULT_KINDS. */
let faults = null;

/**
 * What a struggling ingestion service does to a request besides answering it:
 * - `error`: a 500 or 503 problem answer; nothing recorded.
 * - `reset`: the connection is destroyed before the body is read; nothing recorded.
 * - `lost`: the batch is recorded, then the connection is destroyed: the answer never arrives, so a
 *   retry resends what the server already holds (the sink counts it as duplicates).
 * - `slow`: recorded and answered only after `slowMs`, past the client's request timeout.
 */
const FAULT_KINDS = ['error', 'reset', 'lost', 'slow'];

/** mulberry32: the same seed gives every library the same sequence of faults. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function drawFault() {
  if (faults === null) return null;
  let draw = faults.random();
  for (const [kind, share] of faults.plan) {
    if (draw < share) return kind;
    draw -= share;
  }
  return null;
}

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}
// When the sink came back after `down`, and when each library's first batch arrived afterwards.
let upAt = null;
const resumedAfterUp = new Map();

function counter(lib) {
  let c = counters.get(lib);
  if (!c) {
    c = { requests: 0, events: 0, unique: 0, duplicates: 0, bytes: 0, seen: new Uint8Array(1 << 16) };
    counters.set(lib, c);
  }
  return c;
}

function record(lib, events, bytes) {
  if (upAt !== null && !resumedAfterUp.has(lib)) resumedAfterUp.set(lib, performance.now() - upAt);
  const c = counter(lib);
  const times = arrivals.get(lib);
  const at = times === undefined ? 0 : nowMs();
  c.requests += 1;
  c.bytes += bytes;
  for (const event of events) {
    c.events += 1;
    const seq = (event?.data ?? event?.properties)?.seq;
    if (!Number.isInteger(seq) || seq < 0) continue;
    if (seq >= c.seen.length) {
      let size = c.seen.length;
      while (size <= seq) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(c.seen);
      c.seen = grown;
    }
    if (c.seen[seq]) c.duplicates += 1;
    else {
      c.seen[seq] = 1;
      c.unique += 1;
      if (times !== undefined && seq < times.length) times[seq] = at;
    }
  }
  checkReached(lib);
}

/** Tells the parent the moment a contender's last expected event arrived (monotonic clock, ns). */
function checkReached(lib) {
  const target = expectations.get(lib);
  const unique = counter(lib).unique;
  if (target !== undefined && unique >= target) {
    expectations.delete(lib);
    send({ type: 'reached', lib, at: process.hrtime.bigint().toString(), unique });
  }
}

const server = createServer({ keepAlive: true, keepAliveTimeout: 30_000 }, (req, res) => {
  const route = req.method === 'POST' ? ROUTES[req.url.split('?')[0]] : undefined;
  const fault = route ? drawFault() : null;
  if (fault !== null) counter(route.lib)[fault] = (counter(route.lib)[fault] ?? 0) + 1;
  if (fault === 'reset') {
    req.socket.destroy();
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (!route) {
      // Counted, so a library calling anything besides its batch endpoint shows up in the results.
      counter('unrouted').requests += 1;
      res.writeHead(404).end();
      return;
    }
    if (fault === 'error') {
      const status = counter(route.lib).error % 2 ? 500 : 503;
      const code = status === 500 ? 'internal_error' : 'service_unavailable';
      res
        .writeHead(status, { 'content-type': 'application/problem+json', 'x-request-id': 'req_bench' })
        .end(`{"status":"error","code":"${code}","title":"Unavailable","message":"try again"}`);
      return;
    }
    let events;
    let bytes;
    try {
      let raw = Buffer.concat(chunks);
      bytes = raw.length;
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      events = route.events(JSON.parse(raw.toString('utf8')));
      if (!Array.isArray(events)) throw new Error('no event array');
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"status":"error","code":"bad_body"}');
      return;
    }
    const answer = () => {
      record(route.lib, events, bytes);
      if (fault === 'lost') {
        req.socket.destroy();
        return;
      }
      const headers = { 'x-request-id': 'req_bench' };
      if (route.body) headers['content-type'] = 'application/json';
      if (!res.destroyed) res.writeHead(route.status, headers).end(route.body);
    };
    if (fault === 'slow') setTimeout(answer, faults.slowMs);
    else answer();
  });
});

function listen(port) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

function snapshot() {
  const out = {};
  for (const [lib, c] of counters) {
    const { seen: _seen, ...numbers } = c;
    out[lib] = { ...numbers, resumeLagMs: resumedAfterUp.get(lib) ?? null };
  }
  return out;
}

const commands = {
  reset(message) {
    for (const lib of message.libs ?? [...counters.keys()]) {
      counters.delete(lib);
      arrivals.delete(lib);
    }
    expectations.clear();
  },
  /** Timestamps the first arrival of `seq` 0..events-1 of `lib`. */
  track(message) {
    arrivals.set(message.lib, new Float64Array(message.events));
  },
  /** First-arrival times by seq (0 = never arrived), on the monotonic clock in ms. */
  arrivals(message) {
    return { times: Array.from(arrivals.get(message.lib) ?? []) };
  },
  /** `{ plan: { error, reset, lost, slow } as shares of requests, slowMs, seed }`, or none to stop. */
  faults(message) {
    if (!message.plan) {
      faults = null;
      return;
    }
    const plan = FAULT_KINDS.map((kind) => [kind, message.plan[kind] ?? 0]).filter(([, share]) => share > 0);
    faults = { plan, slowMs: message.slowMs, random: seeded(message.seed ?? 1) };
  },
  expect(message) {
    expectations.set(message.lib, message.unique);
    checkReached(message.lib);
  },
  stats() {
    return { counters: snapshot() };
  },
  // Refused connections, like a crashed or unreachable ingestion host: keep-alive sockets are destroyed
  // so nothing sneaks through on an old connection.
  down() {
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  },
  async up(message) {
    await listen(message.port);
    upAt = performance.now();
    resumedAfterUp.clear();
  },
};

async function main() {
  const port = await listen(Number(argument('port', '0')));
  onExitRequest(() => new Promise((resolve) => server.close(resolve)));
  onCommand(async (message) => {
    const command = commands[message.type];
    if (!command) return;
    const reply = await command(message);
    send({ type: `${message.type}-ok`, ...reply });
  });
  send({ type: 'ready', port });
}

main().catch(fail);
