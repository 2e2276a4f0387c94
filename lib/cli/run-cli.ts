import { CliUsageError, EXIT, type CliIo } from './cli-io.js';

interface CliCommand {
  readonly summary: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/**
 * The subcommands of the `nestjs-spotzee` bin, one file each, loaded only when called: the catalog
 * command needs the TypeScript compiler, which the library itself never loads.
 */
const COMMANDS: Record<string, CliCommand> = {
  catalog: {
    summary: 'Write, check or render the event catalogue (spotzee-events.json) read from your sources.',
    run: async (args, io) => (await import('./catalog.command.js')).runCatalogCommand(args, io),
  },
};

/** Runs `nestjs-spotzee <command> …args` and resolves to the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.err(`nestjs-spotzee ${name}: ${error.message}\n`);
      return EXIT.usage;
    }
    io.err(
      `nestjs-spotzee ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failed;
  }
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: npx nestjs-spotzee <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun npx nestjs-spotzee <command> --help for its options.\n`;
}
