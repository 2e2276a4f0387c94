import type { QueueStoreStatus } from '../queue/event-queue-store.js';
import type { EventSummary, PreparedEvent } from '../prepare/spotzee-event.js';

/**
 * Why an event was rejected (permanently invalid, never retried). `missing_contact`: neither id was
 * given; `invalid_contact`: an id of the wrong type (an object, a boolean, NaN).
 */
export type RejectionReason =
  | 'invalid_name'
  | 'invalid_data'
  | 'invalid_user'
  | 'missing_contact'
  | 'invalid_contact'
  | 'not_serialisable'
  | 'event_too_large'
  | 'invalid_idempotency_key'
  | 'invalid_created_at'
  | 'schema_failed'
  | 'not_in_catalog'
  | 'server_rejected'
  | 'idempotency_key_mismatch';

/**
 * Why an event was dropped (valid, but not delivered). `retries_exhausted`: its batch kept failing
 * transiently (5xx, network, timeout) for `retryForMs` (or `maxAttempts`, when set). The event itself
 * was fine, so an outage is a drop, not a rejection. `request_limit`: one request held more events (or
 * bytes) than its bound. `store_failed`: the configured event store could not keep it (a full disk, a
 * store server down).
 */
export type DropReason =
  'queue_full' | 'shutdown_deadline' | 'closed' | 'retries_exhausted' | 'request_limit' | 'store_failed';

export interface DeliveredOutcome {
  outcome: 'delivered';
  event: EventSummary;
  /** The `Idempotency-Key` of the batch that carried it. */
  batchKey: string;
  requestId: string | null;
  /** True when the server answered `Idempotent-Replayed: true`. */
  replayed: boolean;
}

export interface RejectedOutcome {
  outcome: 'rejected';
  event: EventSummary;
  reason: RejectionReason;
  /** A sentence that names the event, the source and how to fix it. */
  message: string;
  /** The server's error code and request id when the server rejected it. */
  code?: string;
  requestId?: string | null;
  /** The offending field path when known (`data.total`, `name`). */
  param?: string;
}

export interface DroppedOutcome {
  outcome: 'dropped';
  event: EventSummary;
  reason: DropReason;
  message: string;
}

/**
 * An event whose explicit `idempotencyKey` was captured already within the dedupe window (a client
 * retry, a job run twice): the domain event is on its way or delivered under the first capture, so this
 * one is settled without being sent. It is the feature working, not a failure: never `dropped`.
 */
export interface DeduplicatedOutcome {
  outcome: 'deduplicated';
  event: EventSummary;
  /** The key seen again. */
  idempotencyKey: string;
  message: string;
}

/**
 * An event held by a request that failed (status ≥ 400, the client went away, the handler errored):
 * commit-on-success says it never happened, so it was never captured and is not part of the
 * `captured = delivered + rejected + dropped + deduplicated + pending` invariant, but it is counted (`discarded`)
 * and announced, never lost without a trace.
 */
export interface DiscardedOutcome {
  outcome: 'discarded';
  event: EventSummary;
  /** Why the request failed, e.g. `the response status was 500`. */
  reason: string;
  message: string;
}

export type EventOutcome = DeliveredOutcome | RejectedOutcome | DroppedOutcome | DeduplicatedOutcome;

/** One HTTP attempt, for logs, metrics and the sample app's "batch delivered" line. */
export interface BatchAttempt {
  batchKey: string;
  events: number;
  bytes: number;
  attempt: number;
  /** HTTP status, or null for a network error / timeout. */
  status: number | null;
  requestId: string | null;
  replayed: boolean;
  /** What the engine decided; `dropped` when the retry budget ran out. */
  decision: 'delivered' | 'retry' | 'paused' | 'split' | 'rejected' | 'halted' | 'dropped';
  durationMs: number;
  error?: string;
}

/** Health as a probe (or @nestjs/terminus) sees it. */
export interface DeliveryHealth {
  healthy: boolean;
  /** True after 401/403: sending is stopped, the queue is kept, probes run slowly. */
  halted: boolean;
  /** Last problem, redacted. */
  lastError: { message: string; code?: string; status?: number | null; requestId?: string | null; at: string } | null;
  queueDepth: number;
  /**
   * When sending resumes (ISO) while it is held: Spotzee asked everyone to wait (429,
   * idempotency_in_progress; at most `rateLimitMaxMs` ahead), or a failed batch backs off (5xx, network;
   * at most `retryMaxMs` ahead; its retry waits, other batches go on). Null when nothing is held. The
   * engine stays `healthy` meanwhile.
   */
  pausedUntil: string | null;
  /** The queue store: its name, whether it can be written, and what it holds. */
  store: QueueStoreStatus;
}

export interface DeliveryStats {
  /** Events that entered the engine (including those rejected at capture). */
  captured: number;
  delivered: number;
  rejected: number;
  dropped: number;
  /**
   * Captured and not sent because their explicit idempotency key was captured already within the dedupe
   * window: settled, and not failures (not part of `dropped`).
   */
  deduplicated: number;
  /** Captured and not yet settled: queued, in flight or waiting to retry. */
  pending: number;
  /** Events held by failed requests and not sent (commit-on-success); outside the invariant above. */
  discarded: number;
  queuedEvents: number;
  queuedBytes: number;
  inFlightRequests: number;
  requests: number;
  retries: number;
  rateLimited: number;
  healthy: boolean;
  halted: boolean;
  /** The queue store: `memory` (default), `file` or `redis`, whether it is up, and what it holds. */
  store: QueueStoreStatus;
}

/** Typed listener map: `engine.on('delivered', (o) => …)`. */
export interface DeliveryEvents {
  /** An event was accepted into the queue; `event.json` is exactly what will be sent. */
  captured: (event: PreparedEvent) => void;
  delivered: (outcome: DeliveredOutcome) => void;
  rejected: (outcome: RejectedOutcome) => void;
  dropped: (outcome: DroppedOutcome) => void;
  /** An event's explicit idempotency key was captured already within the window: not sent again, not a failure. */
  deduplicated: (outcome: DeduplicatedOutcome) => void;
  outcome: (outcome: EventOutcome) => void;
  /** An event held by a failed request was not sent (never captured; see `DiscardedOutcome`). */
  discarded: (outcome: DiscardedOutcome) => void;
  attempt: (attempt: BatchAttempt) => void;
  health: (health: DeliveryHealth) => void;
}
