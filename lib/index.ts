/**
 * The public API for NestJS applications. Every name exported here is a semver promise; the list is pinned by
 * `test/public-api.spec.ts` and printed in the README. The framework-free engine has its own entry,
 * `nestjs-spotzee/delivery`, for code that runs without Nest.
 */
export { SpotzeeModule } from './spotzee.module.js';
export type {
  SpotzeeModuleAsyncOptions,
  SpotzeeModuleExtras,
  SpotzeeModuleRootOptions,
} from './spotzee.module-definition.js';
export type {
  EventNamePolicy,
  SpotzeeContact,
  SpotzeeContactResolver,
  SpotzeeModuleOptions,
  SpotzeeOptionsFactory,
  SpotzeeUserId,
} from './spotzee-module-options.interface.js';
export {
  EmitsEvent,
  type EmitsEventDecorator,
  type EmitsEventDefinition,
  type EmitsEventOptions,
  type EmitsEventOptionsFor,
} from './emits-event.decorator.js';
export type { SpotzeeEventData, SpotzeeEventName, SpotzeeEvents } from './spotzee-events.js';
export { SpotzeeTracker, type TrackOptions } from './spotzee.tracker.js';
export { InjectSpotzee } from './inject-spotzee.decorator.js';
export { SpotzeeInterceptor } from './spotzee.interceptor.js';
export type { SpotzeeSchema, StandardSchemaLike, StandardSchemaResult } from './event-schema.js';
export { SPOTZEE_DELIVERY_SEAMS, SPOTZEE_TRACKER } from './spotzee.constants.js';
export { SpotzeeConfigurationError } from './delivery/errors.js';
export { EventQueueStore, type QueuedEvent } from './delivery/queue/event-queue-store.js';
export { MemoryEventQueue } from './delivery/queue/memory-event-queue.js';
export { FileEventStore, type FileEventStoreOptions } from './stores/file/file-event-store.js';
export type { QueueStoreStatus } from './delivery/queue/event-queue-store.js';
export type { CloseReport, DeliveryEngineSeams } from './delivery/delivery-engine.js';
export type { DeliveryOptions, OverflowPolicy } from './delivery/delivery-options.js';
export type { DeliveryLogger } from './delivery/ledger/delivery-logger.js';
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
} from './delivery/ledger/outcomes.js';
export type { EventSummary, SpotzeeUserBlock, SpotzeeWireEvent } from './delivery/prepare/spotzee-event.js';
export {
  SPOTZEE_METRICS,
  OTHER_EVENT_NAME,
  type MeterProviderLike,
  type SpotzeeMetricName,
  type SpotzeeMetricsOptions,
} from './metrics/index.js';
