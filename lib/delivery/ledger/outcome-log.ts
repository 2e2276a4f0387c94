import { DeliveryMessages as M } from '../delivery.messages.js';
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
 * Folded repeats are reported by a timer and at shutdown, never left unsaid.
 */
export class OutcomeLog {
  /** Shared by capture rejections and late drops: their keys never collide, and one bound covers both. */
  readonly #throttle = new LogThrottle(REJECTION_LOG_INTERVAL_MS);
  readonly #drops = new DropLog();
  #dropTimer: NodeJS.Timeout | null = null;
  #repeatTimer: NodeJS.Timeout | null = null;
  #finished = false;
  #discardedEvents = 0;
  #discardExample = '';
  #discardTimer: NodeJS.Timeout | null = null;
  #deduplicatedEvents = 0;
  readonly #deduplicatedNames = new Set<string>();
  #dedupeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: EngineLog,
    private readonly limits: QueueLimits,
  ) {}

  rejectedAtCapture(outcome: RejectedOutcome): void {
    const { reason, event } = outcome;
    this.#admit(`${reason}|${event.name}|${event.source ?? ''}`, outcome.message);
  }

  /** Writes the line, or folds it and makes sure the fold is reported within an interval. */
  #admit(key: string, message: string): void {
    const line = this.#throttle.admit(key, message);
    if (line !== null) this.log.write('warn', line);
    // Folded now, or folded earlier under a key this one evicted: either way reported within an interval.
    if ((line === null || this.#throttle.holdsEvictedRepeats) && this.#repeatTimer === null) {
      this.#repeatTimer = detachedTimeout(() => this.flushRepeats(), REJECTION_LOG_INTERVAL_MS, { keepAlive: false });
    }
  }

  /** Writes the repeats folded since their last line ("5 more like it"). */
  flushRepeats(): void {
    if (this.#repeatTimer !== null) clearTimeout(this.#repeatTimer);
    this.#repeatTimer = null;
    for (const line of this.#throttle.takeRepeats()) this.log.write('warn', line);
  }

  dropped(reason: DropReason, name: string, message: string): void {
    if (this.#finished) {
      this.#admit(`late|${reason}`, message);
      return;
    }
    this.#drops.add(reason, name);
    if (this.#dropTimer === null) {
      this.#dropTimer = detachedTimeout(() => this.flushDrops(), DROP_LOG_WINDOW_MS, { keepAlive: false });
    }
  }

  /** Writes the folded drop line now, if any. */
  flushDrops(): void {
    if (this.#dropTimer !== null) clearTimeout(this.#dropTimer);
    this.#dropTimer = null;
    const { maxQueueEvents, maxQueueBytes, overflow } = this.limits;
    const line = this.#drops.take((reason) =>
      reason === 'queue_full' ? M.queueLimits(maxQueueEvents, maxQueueBytes, overflow) : '',
    );
    if (line !== null) this.log.write('warn', line);
  }

  /**
   * Repeated explicit idempotency keys, folded into one debug line per burst: a client retry or a job
   * run twice being sent once is the feature working, worth a trace but not a warning.
   */
  deduplicated(name: string): void {
    this.#deduplicatedEvents += 1;
    if (this.#deduplicatedNames.size < 5) this.#deduplicatedNames.add(name);
    if (this.#dedupeTimer === null) {
      this.#dedupeTimer = detachedTimeout(() => this.flushDeduplicated(), DROP_LOG_WINDOW_MS, { keepAlive: false });
    }
  }

  /** Writes the folded dedupe line now, if any. */
  flushDeduplicated(): void {
    if (this.#dedupeTimer !== null) clearTimeout(this.#dedupeTimer);
    this.#dedupeTimer = null;
    if (this.#deduplicatedEvents === 0) return;
    const events = this.#deduplicatedEvents;
    this.log.write('debug', M.deduplicated(events, [...this.#deduplicatedNames]));
    this.#deduplicatedEvents = 0;
    this.#deduplicatedNames.clear();
  }

  /**
   * Events of failed requests, folded into one debug line per burst: a failed request discarding its
   * events is commit-on-success working, worth a trace but not a warning.
   */
  discarded(count: number, source: string | undefined, why: string): void {
    this.#discardedEvents += count;
    if (this.#discardExample === '') this.#discardExample = `${source ?? 'a request'}: ${why}`;
    if (this.#discardTimer === null) {
      this.#discardTimer = detachedTimeout(() => this.flushDiscards(), DROP_LOG_WINDOW_MS, { keepAlive: false });
    }
  }

  /** Writes the folded discard line now, if any. */
  flushDiscards(): void {
    if (this.#discardTimer !== null) clearTimeout(this.#discardTimer);
    this.#discardTimer = null;
    if (this.#discardedEvents === 0) return;
    const events = this.#discardedEvents;
    this.log.write('debug', M.discardedSummary(events, this.#discardExample));
    this.#discardedEvents = 0;
    this.#discardExample = '';
  }

  /** The engine finished: write what was folded, and log later drops on their own. */
  finish(): void {
    this.#finished = true;
    this.flushDrops();
    this.flushDiscards();
    this.flushDeduplicated();
    this.flushRepeats();
  }
}
