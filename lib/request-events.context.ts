import { AsyncLocalStorage } from 'node:async_hooks';
import type { PreparedEvent } from './delivery/prepare/spotzee-event.js';
import { REQUEST_CONTEXT_SLOT } from './spotzee.constants.js';
import type { SpotzeeContact } from './spotzee-module-options.interface.js';

/** Where a request's events go: the engine of the tracker that captured them. */
export interface EventSink {
  commit(events: readonly PreparedEvent[]): void;
  /** The request failed: the events are counted as discarded, never sent. */
  discard(events: readonly PreparedEvent[], reason: string): void;
  /** Over the request's bounds: counted and reported as dropped. */
  drop(event: PreparedEvent, reason: 'request_limit', why: string): void;
}

/** Lazily computed facts about the request; most requests track nothing, so they never pay for them. */
export interface RequestOrigin {
  source(): string;
  /** Resolved for every event, not once per request: an app may log the user in half-way through. */
  contact(): SpotzeeContact | Promise<SpotzeeContact>;
  /** Why the request has no contact ids, in a phrase that says how to fix it (the rejection's message). */
  contactHint?(): string;
  /** Called once, when the request holds its first event: only then is its verdict worth waiting for. */
  firstHeld?(events: RequestEventsContext): void;
}

/** How much one request may hold before its verdict; past either bound its new events are dropped. */
export interface RequestLimits {
  readonly maxRequestEvents: number;
  readonly maxRequestBytes: number;
}

/**
 * `open` until the verdict. `committing`: the request succeeded but user code it started for its events
 * (an async mapper, resolver or schema) has not settled yet; the commit follows when it does.
 */
export type RequestEventsState = 'open' | 'committing' | 'committed' | 'discarded';

/**
 * The events captured while one request (HTTP request, RPC message, GraphQL resolver) is handled.
 * They are prepared (validated, stamped, serialised) at capture and held here until the request's
 * outcome is known: committed to the engine when it succeeds, discarded (and counted) when it fails.
 *
 * The context ends with its verdict: work the request started that runs later (a timer, a consumer,
 * a lazily started job) no longer joins it, inherits its contact or shares its discard. Only the
 * request's own pending work (see `beginWork`) still reports into it.
 */
export class RequestEventsContext {
  private current: RequestEventsState = 'open';
  // Most requests hold nothing, so nothing is allocated until the first event; events and their sinks
  // sit in parallel arrays, and `mixed` says whether more than one sink is involved (rare: two trackers).
  private heldEvents: PreparedEvent[] | null = null;
  private heldSinks: EventSink[] | null = null;
  private heldBytes = 0;
  private mixed = false;
  private memoSource: string | undefined;
  private work = 0;
  private discardReason = '';

  /** @param key identifies the request (the HTTP request object, or the handler's argument array) so a second interceptor on the same handler can tell it is nested. */
  constructor(
    readonly key: object,
    readonly origin: RequestOrigin,
    private readonly limits: RequestLimits = UNBOUNDED,
  ) {}

  get state(): RequestEventsState {
    return this.current;
  }

  /** True until the verdict: `track()` calls join the request only while it is open. */
  get open(): boolean {
    return this.current === 'open';
  }

  get source(): string {
    return (this.memoSource ??= this.origin.source());
  }

  /** The request's contact, resolved now (per event). */
  get contact(): SpotzeeContact | Promise<SpotzeeContact> {
    return this.origin.contact();
  }

  /** User code for one of the request's events is running; the commit waits for `endWork()`. */
  beginWork(): void {
    this.work += 1;
  }

  endWork(): void {
    this.work -= 1;
    if (this.work === 0 && this.current === 'committing') {
      this.commitHeld();
    }
  }

  /**
   * Holds the event until the verdict, or applies the verdict already reached (only the request's own
   * pending work reaches here after it). Returns what happened to it.
   */
  hold(sink: EventSink, event: PreparedEvent): RequestEventsState | 'dropped' {
    if (this.current === 'committed') {
      sink.commit([event]);
      return this.current;
    }
    if (this.current === 'discarded') {
      sink.discard([event], this.discardReason);
      return this.current;
    }
    const count = this.heldEvents?.length ?? 0;
    if (count >= this.limits.maxRequestEvents || this.heldBytes + event.bytes > this.limits.maxRequestBytes) {
      sink.drop(
        event,
        'request_limit',
        `not held: ${this.source} already holds ${count} events / ${this.heldBytes} bytes, the bound is ` +
          `maxRequestEvents ${this.limits.maxRequestEvents} / maxRequestBytes ${this.limits.maxRequestBytes}.`,
      );
      return 'dropped';
    }
    this.heldBytes += event.bytes;
    if (this.heldEvents === null || this.heldSinks === null) {
      this.heldEvents = [event];
      this.heldSinks = [sink];
      // Held first, then announced: a verdict already known (the response has finished) applies to it.
      this.origin.firstHeld?.(this);
    } else {
      if (sink !== this.heldSinks[0]) {
        this.mixed = true;
      }
      this.heldEvents.push(event);
      this.heldSinks.push(sink);
    }
    return this.current;
  }

  /**
   * The request succeeded: hands every held event to its sink (one `commit` per sink, in capture
   * order), now or, while its own work is pending, as soon as that settles.
   */
  commit(): void {
    if (this.current !== 'open') {
      return;
    }
    if (this.work > 0) {
      this.current = 'committing';
      return;
    }
    this.commitHeld();
  }

  /** The request failed: every held event is counted as discarded by its sink. Returns how many. */
  discard(reason: string): number {
    if (this.current !== 'open' && this.current !== 'committing') {
      return 0;
    }
    this.current = 'discarded';
    this.discardReason = reason;
    const held = this.take();
    if (held === null) {
      return 0;
    }
    let count = 0;
    for (const [sink, group] of held) {
      sink.discard(group, reason);
      count += group.length;
    }
    return count;
  }

  private commitHeld(): void {
    this.current = 'committed';
    const held = this.take();
    if (held === null) {
      return;
    }
    for (const [sink, group] of held) {
      sink.commit(group);
    }
  }

  /** Empties the request, its events grouped by sink in capture order. */
  private take(): Array<[EventSink, PreparedEvent[]]> | null {
    const events = this.heldEvents;
    const sinks = this.heldSinks;
    this.heldEvents = null;
    this.heldSinks = null;
    if (events === null || sinks === null) {
      return null;
    }
    if (!this.mixed) {
      return [[sinks[0]!, events]];
    }
    const bySink = new Map<EventSink, PreparedEvent[]>();
    for (let i = 0; i < events.length; i++) {
      const sink = sinks[i]!;
      const group = bySink.get(sink);
      if (group) {
        group.push(events[i]!);
      } else {
        bySink.set(sink, [events[i]!]);
      }
    }
    return [...bySink];
  }
}

const UNBOUNDED: RequestLimits = { maxRequestEvents: Infinity, maxRequestBytes: Infinity };

type ContextSlot = { [REQUEST_CONTEXT_SLOT]?: AsyncLocalStorage<RequestEventsContext> };

/**
 * One storage per process, not per loaded copy of the package: with both the ESM and CommonJS
 * builds loaded, a tracker from one copy must still see the request entered by the other's interceptor.
 */
export const requestEventsStorage: AsyncLocalStorage<RequestEventsContext> = ((globalThis as ContextSlot)[
  REQUEST_CONTEXT_SLOT
] ??= new AsyncLocalStorage<RequestEventsContext>());

/** The request being handled, while it is still open; after its verdict, none (work that outlived it). */
export function currentRequestEvents(): RequestEventsContext | undefined {
  const context = requestEventsStorage.getStore();
  return context?.open ? context : undefined;
}
