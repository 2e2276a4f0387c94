import { format, inspect } from 'node:util';

type ConsoleMethod = 'log' | 'info' | 'warn' | 'error' | 'debug' | 'trace';
const CONSOLE_METHODS: readonly ConsoleMethod[] = ['log', 'info', 'warn', 'error', 'debug', 'trace'];

/**
 * Collects everything a process could show to a person or a log pipeline: every write to stdout and
 * stderr, every console call, every process warning, plus whatever a test adds (errors, stats,
 * listener payloads). Used to prove that a secret appears in none of it.
 */
export class OutputCapture {
  /** While true, stdout/stderr writes are captured but not passed on (for a test's own probes). */
  quiet = false;
  private readonly entries: Array<{ source: string; text: string }> = [];
  private readonly restorers: Array<() => void> = [];

  start(): void {
    for (const [name, stream] of [
      ['stdout', process.stdout],
      ['stderr', process.stderr],
    ] as const) {
      const original = stream.write;
      // Passed through: Jest itself may be writing to these streams.
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        this.entries.push({
          source: name,
          text: typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
        });
        if (this.quiet) return true;
        return (original as (...args: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
      this.restorers.push(() => {
        stream.write = original;
      });
    }
    for (const method of CONSOLE_METHODS) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        this.entries.push({ source: `console.${method}`, text: format(...args) });
      };
      this.restorers.push(() => {
        console[method] = original;
      });
    }
    const onWarning = (warning: Error): void => {
      this.entries.push({
        source: 'process warning',
        text: `${warning.name}: ${warning.message}\n${warning.stack ?? ''}`,
      });
    };
    process.on('warning', onWarning);
    this.restorers.push(() => process.off('warning', onWarning));
  }

  stop(): void {
    for (const restore of this.restorers.splice(0).reverse()) restore();
  }

  /** Adds a value as every view of it someone might print: JSON, `util.inspect`, and for errors their message and stack. */
  add(source: string, value: unknown): void {
    if (value instanceof Error) {
      this.entries.push({
        source,
        text: `${String(value)}\n${value.message}\n${value.stack ?? ''}\n${inspect(value, { depth: 6 })}`,
      });
      return;
    }
    let json: string;
    try {
      json = JSON.stringify(value) ?? String(value);
    } catch {
      json = '(not JSON-serialisable)';
    }
    this.entries.push({ source, text: `${json}\n${inspect(value, { depth: 6 })}` });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Every entry containing one of the fragments, as `source: …context…`, for a readable failure. */
  leaks(fragments: readonly string[]): string[] {
    const found: string[] = [];
    for (const { source, text } of this.entries) {
      for (const fragment of fragments) {
        const at = text.indexOf(fragment);
        if (at !== -1) found.push(`${source}: …${text.slice(Math.max(0, at - 80), at + fragment.length + 40)}…`);
      }
    }
    return found;
  }
}
