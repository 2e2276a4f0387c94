import { Inject, Injectable } from '@nestjs/common';
import type { DeduplicatedOutcome, DroppedOutcome, RejectedOutcome } from '../delivery/ledger/outcomes.js';
import type { PreparedEvent, SpotzeeWireEvent } from '../delivery/prepare/spotzee-event.js';
import { SPOTZEE_RUNTIME, SPOTZEE_TRACKER, TRACKER_CLASS_MARK } from '../spotzee.constants.js';
import type { SpotzeeRuntime } from '../spotzee.runtime.js';
import type { SpotzeeTracker } from '../spotzee.tracker.js';
import { describeMatch, explainMismatch, type EventMatch } from './event-expectation.js';
import { OpenRequests } from './open-requests.js';
import type { RecordedEvent } from './recorded-event.js';
import { describeRecord, describeRecorder } from './recorder-report.js';
import { SpotzeeAssertionError } from './spotzee-assertion.error.js';
import { DEFAULT_WAIT_MS } from './testing.constants.js';

export interface RecorderWaitOptions {
  /** Default 2 s (under Jest's and Vitest's 5 s test timeout). Only turns a missing event into a readable failure; it never makes a test slower. */
  timeoutMs?: number | undefined;
}

export interface WaitForOptions extends RecorderWaitOptions {
  /** With a name: how many events of that name to wait for. Default 1. */
  count?: number | undefined;
}

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
}

/**
 * Records every event the application commits, parsed from exactly the JSON that would have been
 * sent, in commit order; and every event refused at capture, with its reason. Provided by
 * `SpotzeeTestingModule`: `moduleRef.get(SpotzeeRecorder)`.
 *
 * Events of an HTTP request are committed when its response finishes, which can be just after the
 * client has the response: wait with `waitFor()` before asserting an event, and with `settled()`
 * before asserting that none was sent.
 */
@Injectable()
export class SpotzeeRecorder {
  /** Listens to the tracker, never tracks: not a reason to open request contexts. */
  static readonly [TRACKER_CLASS_MARK] = 'internal';

  private readonly recorded: RecordedEvent[] = [];
  private readonly rejected: RejectedOutcome[] = [];
  private readonly droppedOutcomes: DroppedOutcome[] = [];
  private readonly deduplicatedOutcomes: DeduplicatedOutcome[] = [];
  private readonly waiters = new Set<Waiter>();

  constructor(
    // The string token, so a recorder from one build of the package can watch the tracker of the other.
    @Inject(SPOTZEE_TRACKER) private readonly tracker: SpotzeeTracker,
    private readonly openRequests: OpenRequests,
    @Inject(SPOTZEE_RUNTIME) private readonly runtime: SpotzeeRuntime,
  ) {
    tracker.on('captured', (event) => this.record(event));
    tracker.on('rejected', (outcome) => {
      this.rejected.push(outcome);
      this.wake();
    });
    tracker.on('dropped', (outcome) => {
      this.droppedOutcomes.push(outcome);
      this.wake();
    });
    tracker.on('deduplicated', (outcome) => {
      this.deduplicatedOutcomes.push(outcome);
      this.wake();
    });
  }

  /** The recorded wire events, in commit order. */
  get events(): SpotzeeWireEvent[] {
    return this.recorded.map((record) => record.event);
  }

  /** The same events with their serialised JSON, idempotency key and source. */
  get records(): readonly RecordedEvent[] {
    return [...this.recorded];
  }

  /** Events refused before they could be queued: invalid data, failed schema, throwing mapper, strict name. */
  get rejections(): readonly RejectedOutcome[] {
    return [...this.rejected];
  }

  /** Events that were valid but not kept (the queue was full, the engine was shut down). */
  get dropped(): readonly DroppedOutcome[] {
    return [...this.droppedOutcomes];
  }

  /**
   * Events not recorded again because their explicit `idempotencyKey` was captured already (a client
   * retry, a job run twice): the first capture is in `events`, these are not failures.
   */
  get deduplicated(): readonly DeduplicatedOutcome[] {
    return [...this.deduplicatedOutcomes];
  }

  /** Recorded events with this name, in commit order. */
  named(name: string): SpotzeeWireEvent[] {
    return this.recorded.filter((record) => record.event.name === name).map((record) => record.event);
  }

  /** The first recorded event with this name that matches, or undefined. */
  find(name: string, match?: EventMatch): SpotzeeWireEvent | undefined {
    return this.recorded.find((record) => record.event.name === name && explainMismatch(record, match) === undefined)
      ?.event;
  }

  /**
   * Asserts that an event with this name was recorded and matches the expectation (partial deep
   * match on `data` and `user`, exact ids); returns it. The error lists everything that was recorded.
   */
  expectEvent(name: string, expectation?: EventMatch): SpotzeeWireEvent {
    const found = this.find(name, expectation);
    if (found) {
      return found;
    }
    const candidates = this.recorded.filter((record) => record.event.name === name);
    const lines = [`Expected a Spotzee event "${name}" matching ${describeMatch(expectation)}, but`];
    if (candidates.length === 0) {
      lines.push(`no "${name}" event was recorded.`);
    } else {
      lines.push(`none of the ${candidates.length} recorded "${name}" events matched:`);
      for (const candidate of candidates.slice(0, 10)) {
        lines.push(`  - ${explainMismatch(candidate, expectation)}  in  ${describeRecord(candidate)}`);
      }
    }
    throw new SpotzeeAssertionError(`${lines.join('\n')}\n\n${this.describe()}`);
  }

  /** Asserts that no event (with this name, when given) was recorded. */
  expectNoEvents(name?: string): void {
    const offending = name === undefined ? this.recorded : this.recorded.filter((record) => record.event.name === name);
    if (offending.length === 0) {
      return;
    }
    const what = name === undefined ? 'no Spotzee events' : `no "${name}" events`;
    throw new SpotzeeAssertionError(`Expected ${what}, but ${offending.length} were recorded.\n\n${this.describe()}`);
  }

  /**
   * Resolves with the recorded events once there are at least `count` of them in all, or (with a
   * name) at least `options.count` (default 1) of that name. Rejects with what was recorded on timeout.
   */
  waitFor(target: string | number, options: WaitForOptions = {}): Promise<SpotzeeWireEvent[]> {
    const ready =
      typeof target === 'number'
        ? () => this.recorded.length >= target
        : () => this.named(target).length >= (options.count ?? 1);
    const result = (): SpotzeeWireEvent[] => (typeof target === 'number' ? this.events : this.named(target));
    const what =
      typeof target === 'number'
        ? `${target} Spotzee event${target === 1 ? '' : 's'}`
        : `${options.count ?? 1} Spotzee "${target}" event${(options.count ?? 1) === 1 ? '' : 's'}`;
    return this.until(ready, what, options.timeoutMs).then(result);
  }

  /**
   * Resolves once every HTTP request seen so far has committed or discarded its events and every
   * committed event has been handled, so that "nothing was sent" can be asserted safely. Requests are
   * seen through the module's global interceptor; with `globalInterceptor: false` and
   * `@UseInterceptors(SpotzeeInterceptor)` on controllers, wait with `waitFor()` instead.
   */
  async settled(options: RecorderWaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([this.openRequests.whenIdle(), timedOut]);
      if (outcome === 'timeout') {
        throw new SpotzeeAssertionError(
          `Timed out after ${timeoutMs} ms waiting for ${this.openRequests.size} request(s) to finish. ` +
            'A response that never ends (a streaming endpoint, a hung handler) keeps its events on hold.\n\n' +
            this.describe(),
        );
      }
      // Async schemas (and anything else the tracker still holds) settle before the verdict is final.
      await Promise.race([this.tracker.flush(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Forgets every recorded event, rejection, drop and deduplicated repeat (for example in `beforeEach`), and the
   * idempotency keys seen so far: the next test may capture the same domain event again.
   */
  clear(): void {
    this.runtime.engine.forgetIdempotencyKeys();
    this.recorded.length = 0;
    this.rejected.length = 0;
    this.droppedOutcomes.length = 0;
    this.deduplicatedOutcomes.length = 0;
  }

  /** Everything recorded so far, as the assertion messages show it. */
  describe(): string {
    return describeRecorder({
      records: this.recorded,
      rejections: this.rejected,
      dropped: this.droppedOutcomes,
      deduplicated: this.deduplicatedOutcomes,
      openRequests: this.openRequests.size,
    });
  }

  private record(event: PreparedEvent): void {
    this.recorded.push({
      event: JSON.parse(event.json) as SpotzeeWireEvent,
      json: event.json,
      idempotencyKey: event.idempotencyKey,
      source: event.source,
    });
    this.wake();
  }

  private until(ready: () => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (ready()) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new SpotzeeAssertionError(`Timed out after ${timeoutMs} ms waiting for ${what}.\n\n${this.describe()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters) {
      if (waiter.ready()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}
