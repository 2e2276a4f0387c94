import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';
import type { OutputCapture } from './output-capture.js';

/**
 * A Nest application logger that prints nothing and hands every line, whatever its level, to the
 * capture of the test that is running.
 */
export class CapturingNestLogger implements LoggerService {
  readonly lines: string[] = [];

  constructor(private readonly capture: () => OutputCapture) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  messages(level: string): string[] {
    return this.lines.filter((line) => line.startsWith(`${level} `));
  }

  private write(level: string, message: unknown, params: unknown[]): void {
    const text = [message, ...params]
      .map((part) => (typeof part === 'string' ? part : inspect(part, { depth: 6 })))
      .join(' ');
    this.lines.push(`${level} ${text}`);
    this.capture().add(`nest logger (${level})`, `${level} ${text}`);
  }
}
