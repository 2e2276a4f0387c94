export { SpotzeeTestingModule, type SpotzeeTestingModuleOptions } from './spotzee-testing.module.js';
export { SpotzeeRecorder, type RecorderWaitOptions, type WaitForOptions } from './spotzee.recorder.js';
export type { RecordedEvent } from './recorded-event.js';
export type { AsymmetricMatcherLike, EventExpectation, EventMatch } from './event-expectation.js';
export { SpotzeeAssertionError } from './spotzee-assertion.error.js';
export { RecordingSpotzeeInterceptor } from './recording.interceptor.js';
export { OpenRequests } from './open-requests.js';
export { SPOTZEE_RECORDER } from './testing.constants.js';
