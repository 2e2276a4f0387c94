import type { SpotzeeWireEvent } from '../delivery/prepare/spotzee-event.js';
import type { FaultKind, FaultRequest } from './emulator-fault.js';

/** One accepted `POST /events` request. Replays are not batches: they add nothing. */
export interface ReceivedBatch {
  /** Position in `emulator.batches`. */
  index: number;
  idempotencyKey: string | null;
  requestId: string;
  /** Parsed, exactly as sent. */
  events: SpotzeeWireEvent[];
  /** The request body exactly as received (UTF-8), for byte-level assertions. */
  body: string;
  bytes: number;
  apiVersion: string | null;
  receivedAt: Date;
}

/** One accepted event, in arrival order. */
export interface ReceivedEvent {
  /** The wire event, parsed, exactly as sent. */
  event: SpotzeeWireEvent;
  idempotencyKey: string | null;
  requestId: string;
  receivedAt: Date;
  /** Position of its batch in `emulator.batches`. */
  batchIndex: number;
  /** Position inside that batch: the first segment of a `422` error `param`. */
  indexInBatch: number;
}

/**
 * Every HTTP request the emulator saw, recorded when it finished: the fields a fault matcher sees
 * (seq, method, path, redacted headers, key, body) without its per-key attempt count, plus the answer.
 * Records are appended in completion order; sort by `seq` for arrival order.
 */
export interface RequestRecord extends Omit<FaultRequest, 'attempt'> {
  /** The status answered, or null when no response was sent (reset, lost response, outage). */
  status: number | null;
  /** The problem `code` of an error response (also kept when a `lost_response` fault swallowed it). */
  code?: string;
  /** The server replayed an earlier response (also kept when a `lost_response` fault swallowed it). */
  replayed: boolean;
  fault?: FaultKind;
  requestId: string;
  /** Events this request added (0 for replays and errors). */
  acceptedEvents: number;
  /** The client closed the connection before the response could be written. */
  aborted: boolean;
  receivedAt: Date;
  durationMs: number;
}

export interface EmulatorStats {
  /** Finished HTTP requests, faulted ones included. */
  requests: number;
  /** Requests being processed right now. */
  inFlight: number;
  acceptedBatches: number;
  acceptedEvents: number;
  /** Answers with `Idempotent-Replayed: true`. */
  replays: number;
  /** `409 idempotency_key_mismatch`: a client reused a key with a different body. Should be 0. */
  idempotencyMismatches: number;
  /** `409 idempotency_in_progress`. */
  idempotencyInProgress: number;
  /** Faults applied, by kind. */
  faults: Record<FaultKind, number>;
  /** Responses by status; `none` counts requests that got no response. */
  statuses: Record<string, number>;
  /** 4xx responses by problem code. */
  clientErrors: Record<string, number>;
  bytesReceived: number;
}
