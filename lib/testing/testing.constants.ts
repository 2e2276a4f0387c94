/** String alias of `SpotzeeRecorder`: survives an app that loads both the ESM and the CommonJS build. */
export const SPOTZEE_RECORDER = 'spotzee:recorder';

/** How long `waitFor()` and `settled()` wait by default: generous, since it only turns a hang into a message. */
export const DEFAULT_WAIT_MS = 5_000;
