import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { describe } from '@jest/globals';

/** Whether `redis-server` is installed (`apt-get install -y redis-server`; `.ci/run` installs it). */
export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** `describe` where redis-server is installed, `describe.skip` elsewhere (the README lists it as a prerequisite). */
export const describeWithRedis: typeof describe.skip = redisServerInstalled() ? describe : describe.skip;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedisServerOptions {
  /**
   * Keep the data in an append-only file in this directory, written with `appendfsync always`, so a
   * restart (even after a SIGKILL) comes back with every write Redis acknowledged. Default: no persistence.
   */
  persistDirectory?: string;
}

/**
 * A private `redis-server` on a free loopback port, without persistence unless asked, for one test
 * file: never a system service. `stop()` and `start()` again on the same port simulate Redis restarting.
 */
export class TestRedisServer {
  private process: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly options: TestRedisServerOptions,
  ) {}

  static async start(options: TestRedisServerOptions = {}): Promise<TestRedisServer> {
    const server = await TestRedisServer.reserve(options);
    await server.start();
    return server;
  }

  /** A server with its port chosen but not started: what an app sees when Redis is down at its start-up. */
  static async reserve(options: TestRedisServerOptions = {}): Promise<TestRedisServer> {
    return new TestRedisServer(await freePort(), options);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== null;
  }

  /** Starts the server on its port; a no-op while it runs. */
  async start(): Promise<void> {
    if (this.process !== null) return;
    const { persistDirectory } = this.options;
    const persistence =
      persistDirectory === undefined
        ? ['--appendonly', 'no']
        : ['--dir', persistDirectory, '--appendonly', 'yes', '--appendfsync', 'always'];
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
    });
    this.process = child;
  }

  /** SIGKILL: Redis gets no chance to save anything more than it already has. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
