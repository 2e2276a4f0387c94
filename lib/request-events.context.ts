import { AsyncLocalStorage } from 'node:async_hooks';
import type { PreparedEvent } from './delivery/prepare/spotzee-event.js';
import { REQUEST_CONTEXT_SLOT } from './spotzee.constants.js';
import type { SpotzeeContact } from './spotzee-module-options.interface.js';

/** Where a request's events go once it succeeds: the engine of the tracker that captured them. */
export interface EventSink {
  commit(events: readonly PreparedEvent[]): void;
}

/** Lazily computed facts about the request; most requests track nothing, so they never pay for them. */
export interface RequestOrigin {
  source(): string;
  contact(): SpotzeeContact;
  /** Why the request has no contact ids, in a phrase that says how to fix it (the rejection's message). */
  contactHint?(): string;
  /** Called once, when the request holds its first event: only then is its verdict worth waiting for. */
  firstHeld?(events: RequestEventsContext): void;
}

export type RequestEventsState = 'open' | 'committed' | 'discarded';

/**
 * The events captured while one request (HTTP request, RPC message, GraphQL resolver) is handled.
 * They are prepared (validated, stamped, serialised) at capture and held here until the request's
 * outcome is known: committed to the engine when it succeeds, discarded when it fails. Anything
 * tracked after that follows the same verdict at once.
 */
export class RequestEventsContext {
  private current: RequestEventsState = 'open';
  // Most requests hold nothing, so nothing is allocated until the first event; events and their sinks
  // sit in parallel arrays, and `mixed` says whether more than one sink is involved (rare: two trackers).
  private heldEvents: PreparedEvent[] | null = null;
  private heldSinks: EventSink[] | null = null;
  private mixed = false;
  private memoSource: string | undefined;
  private memoContact: SpotzeeContact | undefined;

  /** @param key identifies the request (the HTTP request object, or the handler's argument array) so a second interceptor on the same handler can tell it is nested. */
  constructor(
    readonly key: object,
    readonly origin: RequestOrigin,
  ) {}

  get state(): RequestEventsState {
    return this.current;
  }

  get source(): string {
    return (this.memoSource ??= this.origin.source());
  }

  get contact(): SpotzeeContact {
    return (this.memoContact ??= this.origin.contact());
  }

  get heldCount(): number {
    return this.heldEvents?.length ?? 0;
  }

  /** Holds the event, or applies the verdict already reached; returns the request's state after it. */
  hold(sink: EventSink, event: PreparedEvent): RequestEventsState {
    if (this.current === 'open') {
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
    } else if (this.current === 'committed') {
      sink.commit([event]);
    }
    return this.current;
  }

  /** Hands every held event to its sink (one `commit` per sink, in capture order). Returns how many. */
  commit(): number {
    if (this.current !== 'open') {
      return 0;
    }
    this.current = 'committed';
    const events = this.heldEvents;
    const sinks = this.heldSinks;
    this.heldEvents = null;
    this.heldSinks = null;
    if (events === null || sinks === null) {
      return 0;
    }
    if (!this.mixed) {
      sinks[0]!.commit(events);
      return events.length;
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
    for (const [sink, group] of bySink) {
      sink.commit(group);
    }
    return events.length;
  }

  /** Forgets every held event; they were never counted, so nothing else needs to know. Returns how many. */
  discard(): number {
    if (this.current !== 'open') {
      return 0;
    }
    this.current = 'discarded';
    const count = this.heldEvents?.length ?? 0;
    this.heldEvents = null;
    this.heldSinks = null;
    return count;
  }
}

type ContextSlot = { [REQUEST_CONTEXT_SLOT]?: AsyncLocalStorage<RequestEventsContext> };

/**
 * One storage per process, not per loaded copy of the package: with both the ESM and CommonJS
 * builds loaded, a tracker from one copy must still see the request entered by the other's interceptor.
 */
export const requestEventsStorage: AsyncLocalStorage<RequestEventsContext> = ((globalThis as ContextSlot)[
  REQUEST_CONTEXT_SLOT
] ??= new AsyncLocalStorage<RequestEventsContext>());

export function currentRequestEvents(): RequestEventsContext | undefined {
  return requestEventsStorage.getStore();
}
