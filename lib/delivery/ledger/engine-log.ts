import type { DeliveryLogger } from './delivery-logger.js';
import type { Redactor } from './redaction.js';

export type LogLevel = 'log' | 'warn' | 'error' | 'debug';

/**
 * The engine's one way to write a line. Every line is redacted on the way out, since our messages quote
 * server text and user-supplied keys, either of which could echo the API key; and a broken logger must
 * never break delivery.
 */
export class EngineLog {
  constructor(
    readonly redact: Redactor,
    private readonly logger: DeliveryLogger,
  ) {}

  write(level: LogLevel, message: string): void {
    try {
      const text = this.redact(message);
      if (level === 'debug') this.logger.debug?.(text);
      else this.logger[level](text);
    } catch {
      // A broken logger must not break delivery.
    }
  }
}
