import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type { DeliveryHealth } from '../delivery/ledger/outcomes.js';
import { createRedactor } from '../delivery/ledger/redaction.js';
import { InjectSpotzee } from '../inject-spotzee.decorator.js';
import { TRACKER_CLASS_MARK } from '../spotzee.constants.js';
import type { SpotzeeTracker } from '../spotzee.tracker.js';

export interface SpotzeeHealthOptions {
  /**
   * Also report down when more events than this wait to be sent (queued, in flight or retrying),
   * e.g. for a readiness probe that should shed traffic while Spotzee is unreachable. Default: no limit.
   */
  maxQueueDepth?: number;
}

/** What the indicator reports under its key, besides `status`. Never holds the API key. */
export interface SpotzeeHealthDetails extends Record<string, unknown> {
  /** True after Spotzee refused the key (401/403) or the endpoint: nothing is sent until a probe succeeds. */
  halted: boolean;
  queueDepth: number;
  lastError: DeliveryHealth['lastError'];
  /** The queue store (`memory`, `file`, `redis`), whether it can be written, and the events it holds. */
  store: DeliveryHealth['store'];
  /** Why the indicator is down; absent when up. */
  message?: string;
}

// Pattern-only: scrubs anything shaped like a key or a bearer token, on top of the engine's own redaction.
const redact = createRedactor(undefined);

/**
 * Spotzee delivery as a `@nestjs/terminus` health indicator (the `HealthIndicatorService` API of
 * Terminus 11 and 12). Down while delivery is halted — Spotzee refused the API key, so events pile
 * up unsent until someone fixes the configuration — and, optionally, when the backlog passes a limit.
 * A transient outage is not "down": the engine retries it on its own and the queue absorbs it.
 *
 * @example
 * @Module({ imports: [TerminusModule, SpotzeeHealthModule], controllers: [HealthController] })
 * export class HealthModule {}
 *
 * @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([() => this.spotzee.isHealthy('spotzee')]);
 * }
 */
@Injectable()
export class SpotzeeHealthIndicator {
  /** Reads the tracker's health, never tracks: not a reason to open request contexts. */
  static readonly [TRACKER_CLASS_MARK] = 'internal';

  constructor(
    private readonly indicators: HealthIndicatorService,
    // The string token: the tracker may come from the other build (ESM/CJS) of the package.
    @InjectSpotzee() private readonly tracker: SpotzeeTracker,
  ) {}

  isHealthy(): Promise<HealthIndicatorResult<'spotzee'>>;
  isHealthy<Key extends string>(key: Key, options?: SpotzeeHealthOptions): Promise<HealthIndicatorResult<Key>>;
  async isHealthy(key = 'spotzee', options: SpotzeeHealthOptions = {}): Promise<HealthIndicatorResult<string>> {
    const indicator = this.indicators.check(key);
    const health = this.tracker.health();
    const details: SpotzeeHealthDetails = {
      halted: health.halted,
      queueDepth: health.queueDepth,
      lastError: health.lastError === null ? null : { ...health.lastError, message: redact(health.lastError.message) },
      store: { ...health.store, problem: health.store.problem === null ? null : redact(health.store.problem) },
    };
    if (health.halted) {
      return indicator.down({
        ...details,
        message:
          'Spotzee delivery is halted: Spotzee refused the configured API key or endpoint (see lastError). Events stay queued until it is fixed.',
      });
    }
    if (!health.store.up) {
      return indicator.down({
        ...details,
        message:
          `The Spotzee ${health.store.name} store is down (${details.store.problem ?? 'unavailable'}): ` +
          `events are held in memory or dropped (reported) until it recovers.`,
      });
    }
    const limit = options.maxQueueDepth;
    if (limit !== undefined && health.queueDepth > limit) {
      return indicator.down({
        ...details,
        message: `${health.queueDepth} Spotzee events are waiting to be sent, over the limit of ${limit}.`,
      });
    }
    return indicator.up(details);
  }
}
