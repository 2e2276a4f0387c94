export { SpotzeeModule } from './spotzee.module.js';
export {
  SPOTZEE_MODULE_OPTIONS,
  type SpotzeeModuleAsyncOptions,
  type SpotzeeModuleExtras,
  type SpotzeeModuleRootOptions,
} from './spotzee.module-definition.js';
export type {
  EventNamePolicy,
  SpotzeeContact,
  SpotzeeContactResolver,
  SpotzeeModuleOptions,
  SpotzeeOptionsFactory,
} from './spotzee-module-options.interface.js';
export { EmitsEvent, type EmitsEventDefinition, type EmitsEventOptions } from './emits-event.decorator.js';
export { EmitsEventMetadataAccessor } from './emits-event.metadata.js';
export { SpotzeeTracker, type TrackOptions } from './spotzee.tracker.js';
export { InjectSpotzee } from './inject-spotzee.decorator.js';
export { SpotzeeInterceptor } from './spotzee.interceptor.js';
export { SpotzeeExplorer, type DiscoveredEmitter } from './spotzee.explorer.js';
export { createDefaultContactResolver, mergeContact } from './contact.resolver.js';
export {
  RequestEventsContext,
  currentRequestEvents,
  type EventSink,
  type RequestEventsState,
} from './request-events.context.js';
export { createSpotzeeSettings, type SpotzeeSettings } from './spotzee-settings.factory.js';
export {
  checkSchema,
  isSpotzeeSchema,
  type SchemaCheck,
  type SpotzeeSchema,
  type StandardSchemaLike,
  type StandardSchemaResult,
} from './event-schema.js';
export {
  EMITS_EVENT_METADATA,
  SPOTZEE_DELIVERY_SEAMS,
  SPOTZEE_METER_PROVIDER,
  SPOTZEE_SETTINGS,
  SPOTZEE_TRACKER,
} from './spotzee.constants.js';
export * from './delivery/index.js';
export * from './metrics/index.js';
