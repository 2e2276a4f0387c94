import type { DeliveryLogger } from '../../../lib/index.js';

export type LogLevel = 'log' | 'warn' | 'error' | 'debug';

/** Keeps every line the library writes, so tests can assert what an operator would read. */
export class RecordingLogger implements DeliveryLogger {
  readonly lines: Array<{ level: LogLevel; message: string }> = [];

  log(message: string): void {
    this.lines.push({ level: 'log', message: String(message) });
  }

  warn(message: string): void {
    this.lines.push({ level: 'warn', message: String(message) });
  }

  error(message: string): void {
    this.lines.push({ level: 'error', message: String(message) });
  }

  debug(message: string): void {
    this.lines.push({ level: 'debug', message: String(message) });
  }

  messages(level?: LogLevel): string[] {
    return this.lines.filter((line) => level === undefined || line.level === level).map((line) => line.message);
  }

  clear(): void {
    this.lines.length = 0;
  }
}
