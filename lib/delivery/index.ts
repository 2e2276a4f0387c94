/**
 * nestjs-spotzee/delivery: the framework-free engine. Where an event goes, in four units, each a folder:
 *
 * 1. `prepare/`  — `prepareEvent` validates a `TrackInput`, stamps `created_at` and serialises it once
 *                  into a `PreparedEvent` (or a rejection with a reason). Pure.
 * 2. `queue/`    — `EventIntake` admits it (dedupe window, overflow policy) into an `EventQueueStore`
 *                  (default `MemoryEventQueue`); the store hands the oldest events over as a batch,
 *                  frozen once (`FrozenBatch`: exact bytes, `Idempotency-Key` from `batch-key`) and
 *                  kept in the `BatchPool` until every event in it has an outcome.
 * 3. `dispatch/` — `SendScheduler` decides when batches leave (no batch waits for another; the
 *                  `ConcurrencyLimit` adapts requests in flight to the failure rate) and hands each to
 *                  `BatchSender`, which puts it on the wire through a `DeliveryTransport` and resolves
 *                  when the answer is handled (the scheduler pumps again then). `ResponseHandler` reads
 *                  the answer (`classifyResponse`, pure) and hands it to `RetryPolicy` (backoff within a
 *                  time budget), `DeliveryGate` (server-requested pauses, halts, health) or
 *                  `ServerRejections` (refused items, splits). `ShutdownDrain`, built by the scheduler
 *                  and driving it, runs the end under its deadline.
 * 4. `ledger/`   — `OutcomeLedger` gives every event exactly one outcome (delivered, rejected, dropped, deduplicated),
 *                  counts it, and announces it to listeners and the throttled logs:
 *                  `captured = delivered + rejected + dropped + deduplicated + pending` at every moment. `EngineLog`
 *                  writes every line redacted; `ProblemLog` reports a failing store or listener.
 *
 * Each part is handed, at construction, the typed objects it talks to; none calls another through a
 * callback (the store's `attach()` hooks are the seam's own contract with user code). `DeliveryEngine` (delivery-engine.ts) builds them in the order an event meets them and is
 * the public face; options are resolved in resolve-delivery-options.ts, every log line and outcome
 * message is worded in delivery.messages.ts, and a refused value is named by describe-value.ts.
 */
export { DeliveryEngine } from './delivery-engine.js';
export type { CloseOptions, CloseReport, DeliveryEngineSeams, FlushOptions } from './delivery-engine.js';
export { SpotzeeConfigurationError } from './errors.js';
export {
  resolveDeliveryOptions,
  DEFAULT_DELIVERY_OPTIONS,
  DEFAULT_BASE_URL,
  DEFAULT_API_VERSION,
  isLoopbackHost,
} from './resolve-delivery-options.js';
export type { ResolvedDeliveryOptions } from './resolve-delivery-options.js';
export type { DeliveryOptions, OverflowPolicy } from './delivery-options.js';
export { SILENT_LOGGER } from './ledger/delivery-logger.js';
export type { DeliveryLogger } from './ledger/delivery-logger.js';
export type {
  BatchAttempt,
  DeliveredOutcome,
  DeliveryEvents,
  DeliveryHealth,
  DeliveryStats,
  DropReason,
  DiscardedOutcome,
  DroppedOutcome,
  DeduplicatedOutcome,
  EventOutcome,
  RejectedOutcome,
  RejectionReason,
} from './ledger/outcomes.js';
export type {
  EventSummary,
  PreparedEvent,
  SpotzeeUserBlock,
  SpotzeeWireEvent,
  TrackInput,
} from './prepare/spotzee-event.js';
export { prepareEvent, isPlainObject } from './prepare/prepare-event.js';
export type { PrepareLimits, PrepareResult } from './prepare/prepare-event.js';
export { summarizeEvent } from './prepare/event-summary.js';
export { batchKey, batchBody } from './queue/batch-key.js';
export { DeliveryTransport, DryRunTransport } from './dispatch/delivery-transport.js';
export type { TransportRequest, TransportResponse } from './dispatch/delivery-transport.js';
export { UndiciTransport, RequestTimeoutError } from './dispatch/undici-transport.js';
export type { UndiciTransportOptions } from './dispatch/undici-transport.js';
export { EventQueueStore } from './queue/event-queue-store.js';
export type { MaybePromise, QueuedEvent, RecoveredQueue, StoredBatch, TakeLimits } from './queue/event-queue-store.js';
export { MemoryEventQueue } from './queue/memory-event-queue.js';
export { createRedactor, REDACTED } from './ledger/redaction.js';
export type { Redactor } from './ledger/redaction.js';
export { LIBRARY_VERSION, USER_AGENT } from './version.js';
