export { SpotzeeEmulator, type DownOptions } from './spotzee-emulator.js';
export type { WaitOptions } from './emulator-waits.js';
export {
  DEFAULT_SUPPORTED_VERSIONS,
  EMULATOR_API_KEY,
  type InvalidItemsMode,
  type SpotzeeEmulatorOptions,
} from './emulator-options.js';
export type { EmulatorStats, ReceivedBatch, ReceivedEvent, RequestRecord } from './emulator-records.js';
export {
  FAULT_KINDS,
  type ChaosOptions,
  type EmulatorFault,
  type FaultKind,
  type FaultMatcher,
  type FaultRequest,
  type InjectedFaultHandle,
  type InjectOptions,
  type LostResponseFault,
  type RateLimitFault,
  type RawFault,
  type ResetFault,
  type SlowFault,
  type StatusFault,
  type WeightedFault,
} from './emulator-fault.js';
export { DEFAULT_CHAOS_FAULTS } from './fault-plan.js';
export type { RateLimitOptions } from './rate-limit-window.js';
export type { ProblemBody, ProblemFieldError } from './problem-details.js';
export { EVENTS_PATH, MAX_IDEMPOTENCY_KEY_LENGTH } from './request-headers.validator.js';
export { MAX_EVENTS_PER_BATCH } from './batch-body.validator.js';
export { RECEIVED_PATH } from './received-listing.endpoint.js';
