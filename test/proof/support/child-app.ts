import { spawn, type ChildProcess } from 'node:child_process';

/** One `@proof {...}` line of the child's stdout. */
export interface ChildReport {
  type: string;
  [field: string]: unknown;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const REPORT_PREFIX = '@proof ';

/**
 * A Node process running a fixture app. Its `@proof` lines are parsed as they arrive; everything it
 * writes is kept, so a failure can show the child's own logs.
 */
export class ChildApp {
  readonly reports: ChildReport[] = [];
  readonly exited: Promise<ChildExit>;
  private output = '';
  private stdoutBuffer = '';
  private readonly child: ChildProcess;

  constructor(script: string, env: Record<string, string>) {
    const inherited = { ...process.env };
    // Jest's worker id would make a library inside the child believe it runs under Jest.
    delete inherited.JEST_WORKER_ID;
    this.child = spawn(process.execPath, [script], {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** Stdout and stderr as they arrived, for failure messages and log assertions. */
  get log(): string {
    return this.output;
  }

  report(type: string): ChildReport | undefined {
    return this.reports.find((report) => report.type === type);
  }

  /** Resolves with the first report of this type; rejects if the child exits first or the (generous) limit passes. */
  async waitForReport(type: string, timeoutMs = 60_000): Promise<ChildReport> {
    const started = Date.now();
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const found = this.report(type);
      if (found) return found;
      if (exited) throw new Error(`the child exited before reporting "${type}". Its output:\n${this.output}`);
      if (Date.now() - started > timeoutMs) {
        throw new Error(`no "${type}" report from the child after ${timeoutMs} ms. Its output:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** A safety net for failed tests: never leave a child behind. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private onStdout(chunk: string): void {
    this.output += chunk;
    this.stdoutBuffer += chunk;
    let newline = this.stdoutBuffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.stdoutBuffer.slice(0, newline);
      this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
      if (line.startsWith(REPORT_PREFIX)) {
        this.reports.push(JSON.parse(line.slice(REPORT_PREFIX.length)) as ChildReport);
      }
      newline = this.stdoutBuffer.indexOf('\n');
    }
  }
}
