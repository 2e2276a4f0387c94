/**
 * The shapes that cross the engine's boundary: what callers capture, and what Spotzee's
 * `POST /events` receives. Keys in `data` and `user.data` are sent exactly as written.
 */

/** The optional profile upsert sent with an event (the wire `user` block). */
export interface SpotzeeUserBlock {
  email?: string | null;
  phone?: string | null;
  /** IANA zone, e.g. `Europe/Paris`. */
  timezone?: string | null;
  /** BCP-47 tag, e.g. `fr-FR`. */
  locale?: string | null;
  /** Custom contact attributes. */
  data?: Record<string, unknown> | null;
}

/** One event exactly as it is serialised into the request body. Only these fields are sent. */
export interface SpotzeeWireEvent {
  name: string;
  external_id?: string | null;
  anonymous_id?: string | null;
  data?: Record<string, unknown> | null;
  user?: SpotzeeUserBlock;
  created_at?: string | null;
}

/** What a caller hands to the engine. */
export interface TrackInput {
  name: string;
  /** The contact's id in your own database; a finite number is sent as a string. */
  externalId?: string | number | null | undefined;
  /** A pre-signup visitor id; sending both ids stitches the visitor to the contact. */
  anonymousId?: string | number | null | undefined;
  data?: Record<string, unknown> | null | undefined;
  /** Becomes the wire `user` block. */
  identify?: SpotzeeUserBlock | null | undefined;
  /**
   * A deterministic key for this domain event (`order_placed:ord_42`). The same key captured twice
   * within the dedupe window is sent once. Also feeds the batch's `Idempotency-Key`.
   */
  idempotencyKey?: string | null | undefined;
  /** When it happened. Defaults to the moment of capture. */
  createdAt?: Date | string | null | undefined;
  /** Where the event came from (`POST /orders`, `BillingService`), for error messages only. Never sent. */
  source?: string | undefined;
}

/** An event that passed validation: stamped, serialised once, ready to be queued. */
export interface PreparedEvent {
  /** Minted at capture (`evt_…`), unique per process; feeds the batch key when no explicit key is given. */
  readonly id: string;
  readonly name: string;
  readonly externalId: string | null;
  readonly anonymousId: string | null;
  readonly idempotencyKey: string | null;
  /** ISO-8601 with milliseconds, stamped at capture. */
  readonly createdAt: string;
  readonly source: string | undefined;
  /** The serialised wire event; batches are built by joining these, never by re-serialising. */
  readonly json: string;
  /** `Buffer.byteLength(json)`, measured once. */
  readonly bytes: number;
}

/** A compact, key-free description of an event for listeners, logs and test assertions. */
export interface EventSummary {
  id: string;
  name: string;
  externalId: string | null;
  anonymousId: string | null;
  idempotencyKey: string | null;
  createdAt: string;
  source?: string;
}
