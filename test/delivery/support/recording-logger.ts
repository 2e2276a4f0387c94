import type { DeliveryLogger } from '../../../lib/delivery/index.js';

export interface LogLine {
  level: 'log' | 'warn' | 'error' | 'debug';
  message: string;
}

/** Keeps every line the engine writes, for assertions on wording, counts and redaction. */
export class RecordingLogger implements DeliveryLogger {
  readonly lines: LogLine[] = [];

  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }

  at(level: LogLine['level']): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }

  matching(pattern: RegExp): string[] {
    return this.lines.filter((line) => pattern.test(line.message)).map((line) => line.message);
  }
}
