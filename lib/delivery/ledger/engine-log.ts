import { DeliveryMessages as M } from '../delivery.messages.js';
import type { DeliveryLogger } from './delivery-logger.js';
import { LogThrottle } from './log-throttle.js';
import type { DeliveryEvents } from './outcomes.js';
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

/** A store or a listener that keeps failing is logged once per operation (or event type) per minute. */
const PROBLEM_LOG_INTERVAL_MS = 60_000;

/**
 * Failures of what the engine calls but does not own (the event store, the app's listeners): logged,
 * throttled, never thrown. The engine carries on either way.
 */
export class ProblemLog {
  readonly #storeThrottle = new LogThrottle(PROBLEM_LOG_INTERVAL_MS);
  readonly #listenerThrottle = new LogThrottle(PROBLEM_LOG_INTERVAL_MS);

  constructor(private readonly log: EngineLog) {}

  storeFailed(operation: string, error: unknown): void {
    const line = this.#storeThrottle.admit(operation, M.storeFailed(operation, detailOf(error)));
    if (line !== null) this.log.write('error', line);
  }

  listenerThrew(type: keyof DeliveryEvents, error: unknown): void {
    const line = this.#listenerThrottle.admit(type, M.listenerThrew(type, detailOf(error)));
    if (line !== null) this.log.write('error', line);
  }
}

function detailOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
