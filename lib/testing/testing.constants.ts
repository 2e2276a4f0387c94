/** String alias of `SpotzeeRecorder`: survives an app that loads both the ESM and the CommonJS build. */
export const SPOTZEE_RECORDER = 'spotzee:recorder';

/**
 * How long `waitFor()` and `settled()` wait by default. Under the test runners' own 5 s test timeout,
 * so a missing event fails with the recorder's report of what was recorded, not "test timed out".
 */
export const DEFAULT_WAIT_MS = 2_000;
