// The Redis that RedisEventStore is measured against: a private `redis-server` (the Debian package,
// `apt-get install -y redis-server`) on a free loopback port, started by the parent for one section and
// stopped at its end, never a system service. No persistence: what is measured is the client's cost on
// the capture path and the delivery path, not Redis's disk.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export function redisServerInstalled() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const live = new Set();

/** Starts one server and resolves once it accepts connections: `{ url, stop() }`. */
export async function startRedisServer() {
  if (!redisServerInstalled()) {
    throw new Error(
      'the Redis store is measured against a local redis-server, which is not installed: ' +
        '`apt-get install -y redis-server` (or leave redis out: BENCH_STORES=memory,file)',
    );
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.add(child);
  let output = '';
  await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      live.delete(child);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills the servers this process started (and only those), e.g. when a section fails midway. */
export function killRedisServers() {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** A server when the contenders include the Redis store variant; a stand-in with nothing to stop otherwise. */
export async function redisServerFor(contenders) {
  if (!contenders.includes('spotzee-redis')) return { url: null, args: [], stop: async () => undefined };
  const server = await startRedisServer();
  return { ...server, args: [`--redis-url=${server.url}`] };
}
