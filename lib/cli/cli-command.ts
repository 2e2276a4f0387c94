/** Where a command writes: the terminal in the bin, a buffer in tests. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** A command that keeps running (a server) until it is stopped. */
export interface RunningCommand {
  stop(): Promise<void>;
}

/** One subcommand of the `nestjs-spotzee` bin: a file of its own in lib/cli/. */
export interface CliCommand {
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** Its full help text. */
  readonly usage: string;
  /** Resolves with an exit code, or with a running command the bin stops on SIGINT/SIGTERM. */
  run(args: readonly string[], output: CliOutput): Promise<number | RunningCommand>;
}

/** Thrown for bad arguments: the bin prints the message and the command's usage, and exits 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
