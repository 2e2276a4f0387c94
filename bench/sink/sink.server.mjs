// A minimal, fast collector that speaks just enough of each contender's ingestion API to accept its
// batches: Spotzee `POST /api/client/events` (bare array, 204), Segment `POST /v1/batch`
// (`{ batch }`, 200) and PostHog `POST /batch/` (`{ api_key, batch }`, 200, gzip when enabled).
// It runs in its own process so its parsing never competes with the contender's event loop, and it
// counts what actually arrived: events, and unique events by the payload's `seq` so a retried batch
// cannot inflate a throughput number.
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
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (!route) {
      // Counted, so a library calling anything besides its batch endpoint shows up in the results.
      counter('unrouted').requests += 1;
      res.writeHead(404).end();
      return;
    }
    try {
      let raw = Buffer.concat(chunks);
      const bytes = raw.length;
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const events = route.events(JSON.parse(raw.toString('utf8')));
      if (!Array.isArray(events)) throw new Error('no event array');
      record(route.lib, events, bytes);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"status":"error","code":"bad_body"}');
      return;
    }
    const headers = { 'x-request-id': 'req_bench' };
    if (route.body) headers['content-type'] = 'application/json';
    res.writeHead(route.status, headers).end(route.body);
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
    for (const lib of message.libs ?? [...counters.keys()]) counters.delete(lib);
    expectations.clear();
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
