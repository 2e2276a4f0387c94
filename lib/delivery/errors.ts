/**
 * Thrown at construction (start-up) for options that can never work: a missing or publishable key, a
 * malformed base URL, an out-of-range number. The message says how to fix it and never contains the key.
 * Bad *event* input is never thrown: it becomes a `rejected` outcome instead.
 */
export class SpotzeeConfigurationError extends Error {
  /** The option at fault (`apiKey`, `baseUrl`, `maxBatchEvents`…). */
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.name = 'SpotzeeConfigurationError';
    this.option = option;
  }
}

/** The one wording of a bad option: `Invalid Spotzee option maxAttempts: expected …, got "5".` */
export function invalidOptionError(option: string, detail: string): SpotzeeConfigurationError {
  return new SpotzeeConfigurationError(option, `Invalid Spotzee option ${option}: ${detail}`);
}
