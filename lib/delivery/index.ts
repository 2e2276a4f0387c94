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
export { SILENT_LOGGER } from './delivery-logger.js';
export type { DeliveryLogger } from './delivery-logger.js';
export type {
  BatchAttempt,
  DeliveredOutcome,
  DeliveryEvents,
  DeliveryHealth,
  DeliveryStats,
  DropReason,
  DroppedOutcome,
  EventOutcome,
  RejectedOutcome,
  RejectionReason,
} from './outcomes.js';
export type { EventSummary, PreparedEvent, SpotzeeUserBlock, SpotzeeWireEvent, TrackInput } from './spotzee-event.js';
export { prepareEvent, isPlainObject } from './prepare-event.js';
export type { PrepareLimits, PrepareResult } from './prepare-event.js';
export { summarizeEvent } from './event-summary.js';
export { batchKey, batchBody } from './batch-key.js';
export { DeliveryTransport } from './delivery-transport.js';
export type { TransportRequest, TransportResponse } from './delivery-transport.js';
export { UndiciTransport, RequestTimeoutError } from './undici-transport.js';
export type { UndiciTransportOptions } from './undici-transport.js';
export { DryRunTransport } from './dry-run-transport.js';
export { EventQueueStore } from './event-queue-store.js';
export type { MaybePromise, QueuedEvent, RecoveredQueue, StoredBatch, TakeLimits } from './event-queue-store.js';
export { MemoryEventQueue } from './memory-event-queue.js';
export { createRedactor, REDACTED } from './redaction.js';
export type { Redactor } from './redaction.js';
export { LIBRARY_VERSION, USER_AGENT } from './version.js';
