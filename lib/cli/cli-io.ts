/** Where a command writes and what it runs against: the process's, or a test's. */
export interface CliIo {
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
}

/** A mistake in how the command was called or configured: exit code 2, with a message that says how to fix it. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
