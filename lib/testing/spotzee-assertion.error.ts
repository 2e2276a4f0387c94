/**
 * Thrown by the recorder's `expect…` and `waitFor` helpers. A plain Error subclass, so every test
 * runner (Jest, Vitest, node:test, Mocha) reports it as a failed assertion with its message.
 */
export class SpotzeeAssertionError extends Error {
  override readonly name = 'SpotzeeAssertionError';
}
