import type { DeliveryLogger } from '../../lib/delivery/index.js';

export type LogLevel = 'log' | 'warn' | 'error' | 'debug';

export interface LogLine {
  level: LogLevel;
  message: string;
}

/**
 * Keeps every line the library writes, so tests can assert what an operator would read: wording,
 * counts, and what must never appear (the API key).
 */
export class RecordingLogger implements DeliveryLogger {
  readonly lines: LogLine[] = [];

  log(message: string): void {
    this.record('log', message);
  }

  warn(message: string): void {
    this.record('warn', message);
  }

  error(message: string): void {
    this.record('error', message);
  }

  debug(message: string): void {
    this.record('debug', message);
  }

  /** The messages of one level, or of every level when none is named. */
  messages(level?: LogLevel): string[] {
    return this.lines.filter((line) => level === undefined || line.level === level).map((line) => line.message);
  }

  matching(pattern: RegExp): string[] {
    return this.lines.filter((line) => pattern.test(line.message)).map((line) => line.message);
  }

  clear(): void {
    this.lines.length = 0;
  }

  private record(level: LogLevel, message: string): void {
    // String(): a line must stay readable (and searchable for secrets) even if a caller passed an object.
    this.lines.push({ level, message: String(message) });
  }
}
