import { detachedTimeout } from '../dispatch/detached-scope.js';
import { DropLog } from './drop-log.js';
import type { EngineLog } from './engine-log.js';
import { LogThrottle } from './log-throttle.js';
import type { DropReason, RejectedOutcome } from './outcomes.js';
import type { ResolvedDeliveryOptions } from '../resolve-delivery-options.js';

const DROP_LOG_WINDOW_MS = 1000;
const REJECTION_LOG_INTERVAL_MS = 60_000;

export type QueueLimits = Pick<ResolvedDeliveryOptions, 'maxQueueEvents' | 'maxQueueBytes' | 'overflow'>;

/**
 * Log lines for outcomes: one per problem, never one per event, so a burst of bad input or an overflow
 * cannot flood the app's logs. Capture rejections are throttled per kind of problem; drops fold into one
 * line per burst, or, once the engine has finished and no burst window is left, one line per minute.
 */
export class OutcomeLog {
  /** Shared by capture rejections and late drops: their keys never collide, and one bound covers both. */
  readonly #throttle = new LogThrottle(REJECTION_LOG_INTERVAL_MS);
  readonly #drops = new DropLog();
  #dropTimer: NodeJS.Timeout | null = null;
  #finished = false;
  #discardedEvents = 0;
  #discardedRequests = 0;
  #discardExample = '';
  #discardTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: EngineLog,
    private readonly limits: QueueLimits,
  ) {}

  rejectedAtCapture(outcome: RejectedOutcome): void {
    const { reason, event } = outcome;
    const line = this.#throttle.admit(`${reason}|${event.name}|${event.source ?? ''}`, outcome.message);
    if (line !== null) this.log.write('warn', line);
  }

  dropped(reason: DropReason, name: string, message: string): void {
    if (this.#finished) {
      const line = this.#throttle.admit(`late|${reason}`, message);
      if (line !== null) this.log.write('warn', line);
      return;
    }
    this.#drops.add(reason, name);
    if (this.#dropTimer === null) {
      this.#dropTimer = detachedTimeout(() => this.flushDrops(), DROP_LOG_WINDOW_MS, false);
    }
  }

  /** Writes the folded drop line now, if any. */
  flushDrops(): void {
    if (this.#dropTimer !== null) clearTimeout(this.#dropTimer);
    this.#dropTimer = null;
    const { maxQueueEvents, maxQueueBytes, overflow } = this.limits;
    // Dedupe hits are the feature working, not a problem: they alone never warn.
    const level = this.#drops.onlyDuplicates ? 'debug' : 'warn';
    const line = this.#drops.take((reason) =>
      reason === 'queue_full'
        ? ` (queue limit ${maxQueueEvents} events / ${maxQueueBytes} bytes, overflow ${overflow})`
        : '',
    );
    if (line !== null) this.log.write(level, line);
  }

  /**
   * Events of failed requests, folded into one debug line per burst: a failed request discarding its
   * events is commit-on-success working, worth a trace but not a warning.
   */
  discarded(count: number, source: string | undefined, why: string): void {
    this.#discardedEvents += count;
    this.#discardedRequests += 1;
    if (this.#discardExample === '') this.#discardExample = `${source ?? 'a request'}: ${why}`;
    if (this.#discardTimer === null) {
      this.#discardTimer = detachedTimeout(() => this.flushDiscards(), DROP_LOG_WINDOW_MS, false);
    }
  }

  /** Writes the folded discard line now, if any. */
  flushDiscards(): void {
    if (this.#discardTimer !== null) clearTimeout(this.#discardTimer);
    this.#discardTimer = null;
    if (this.#discardedEvents === 0) return;
    const events = this.#discardedEvents;
    const requests = this.#discardedRequests;
    this.log.write(
      'debug',
      `Spotzee discarded ${events} event${events === 1 ? '' : 's'} of ${requests} failed request${requests === 1 ? '' : 's'} ` +
        `(commit-on-success; e.g. ${this.#discardExample}).`,
    );
    this.#discardedEvents = 0;
    this.#discardedRequests = 0;
    this.#discardExample = '';
  }

  /** The engine finished: write what was folded, and log later drops on their own. */
  finish(): void {
    this.#finished = true;
    this.flushDrops();
    this.flushDiscards();
  }
}
