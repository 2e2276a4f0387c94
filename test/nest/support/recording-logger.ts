import type { DeliveryLogger } from '../../../lib/index.js';

/** A logger that keeps every line, so tests can assert what users would read (and what they must not). */
export class RecordingLogger implements DeliveryLogger {
  readonly lines: Array<{ level: 'log' | 'warn' | 'error' | 'debug'; message: string }> = [];

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

  messages(level?: 'log' | 'warn' | 'error' | 'debug'): string[] {
    return this.lines.filter((line) => level === undefined || line.level === level).map((line) => line.message);
  }

  clear(): void {
    this.lines.length = 0;
  }
}
