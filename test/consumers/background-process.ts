import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv } from './run-command.js';

/**
 * A long-running child a test talks to (an app server, the emulator CLI), started in a process group
 * of its own: `npm run start` and `npx` run the real program as a grandchild, and stopping the group
 * stops them all. The test waits on what the child prints, never on a fixed delay.
 */
export class BackgroundProcess {
  private output = '';
  private exited = false;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly command: string,
    private readonly child: ChildProcess,
  ) {
    const append = (chunk: string): void => {
      this.output += chunk;
      for (const wake of this.waiters) wake();
    };
    child.stdout?.setEncoding('utf8').on('data', append);
    child.stderr?.setEncoding('utf8').on('data', append);
    child.on('error', (error) => append(`\n[${error.message}]\n`));
    child.on('exit', (code, signal) => {
      this.exited = true;
      append(`\n[exited with ${code ?? signal}]\n`);
    });
  }

  static start(file: string, args: string[], options: { cwd: string; env?: Record<string, string> }) {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new BackgroundProcess(`${file} ${args.join(' ')} (in ${options.cwd})`, child);
  }

  /** Everything it printed so far, stdout and stderr interleaved. */
  get printed(): string {
    return this.output;
  }

  /**
   * Resolves with the first match of `pattern` in what it printed; rejects with the whole output when it
   * exits first or when `timeoutMs` (a ceiling against a hung child, not a performance check) passes.
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.output.match(pattern);
        if (match) {
          done();
          resolve(match);
        } else if (this.exited) {
          done();
          reject(new Error(`${this.command} exited before printing ${pattern}:\n${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.command} did not print ${pattern} within ${timeoutMs} ms:\n${this.output}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** SIGTERM to the whole group, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const group = -this.child.pid;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    signalGroup(group, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(group, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // The group leader (npm, npx) may exit before its child: make sure nothing of the group is left.
    signalGroup(group, 'SIGKILL');
  }
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(group, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
