import { Inject, Injectable } from '@nestjs/common';
import type { FlushOptions } from './delivery/delivery-engine.js';
import type { DeliveryEvents, DeliveryHealth, DeliveryStats } from './delivery/ledger/outcomes.js';
import type { TrackInput } from './delivery/prepare/spotzee-event.js';
import type { SpotzeeEventData, SpotzeeEventDataRequired, SpotzeeEventName } from './spotzee-events.js';
import { SPOTZEE_RUNTIME, TRACKER_CLASS_MARK } from './spotzee.constants.js';
import type { SpotzeeRuntime } from './spotzee.runtime.js';

/**
 * Everything `track()` takes besides the name. Ids default to the current request's contact. For an
 * event of the declared catalogue (`SpotzeeEvents`), `data` has the declared shape, and is required
 * when that shape has required fields.
 */
export type TrackOptions<TName extends string = string> = Omit<TrackInput, 'name' | 'data'> &
  (SpotzeeEventDataRequired<TName> extends true
    ? { data: SpotzeeEventData<TName> }
    : { data?: SpotzeeEventData<TName> | null });

/**
 * The app's handle on Spotzee: `track()` from any service, `flush()`, `stats()`, `health()` and
 * outcome listeners. That is all of it: the engine, the logger and the capture path behind it belong
 * to the module, and its lifecycle (sending from bootstrap, the final drain at shutdown) too.
 */
@Injectable()
export class SpotzeeTracker {
  /** Recognised as the tracker by `decideRequestContexts`, whichever build of the package loaded it. */
  static readonly [TRACKER_CLASS_MARK] = 'tracker';

  readonly #runtime: SpotzeeRuntime;

  // The string token: a tracker from one build of the package may stand in a module of the other.
  constructor(@Inject(SPOTZEE_RUNTIME) runtime: SpotzeeRuntime) {
    this.#runtime = runtime;
  }

  /**
   * Captures an event. Synchronous, cheap, never throws. Inside a request it joins the request: it is
   * sent only if the request succeeds and, when neither id is given, it is about the request's contact.
   * Outside a request (jobs, consumers, bootstrap) it is queued at once.
   */
  track<TName extends SpotzeeEventName>(
    name: TName,
    ...options: SpotzeeEventDataRequired<TName> extends true
      ? [options: TrackOptions<TName>]
      : [options?: TrackOptions<TName>]
  ): void;
  track(name: string, options?: TrackOptions): void {
    this.#runtime.track(name, options);
  }

  /**
   * Resolves when every event captured so far has an outcome (retries included): `true`, or `false` when it
   * stopped waiting early (`timeoutMs` passed, or delivery is halted by a refused key; the events keep going).
   * Never rejects; throws only for an invalid `timeoutMs`.
   */
  flush(options?: FlushOptions): Promise<boolean> {
    return this.#runtime.flush(options);
  }

  /** Counters; `captured = delivered + rejected + dropped + deduplicated + pending` always holds. */
  stats(): DeliveryStats {
    return this.#runtime.engine.stats();
  }

  health(): DeliveryHealth {
    return this.#runtime.engine.health();
  }

  /** Subscribes to outcomes; returns the unsubscribe function. A throwing listener never breaks delivery. */
  on<K extends keyof DeliveryEvents>(type: K, listener: DeliveryEvents[K]): () => void {
    return this.#runtime.engine.on(type, listener);
  }
}
