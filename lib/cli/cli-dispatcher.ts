import { CliUsageError, type CliCommand, type CliOutput, type RunningCommand } from './cli-command.js';
import { catalogCommand } from './catalog.command.js';
import { emulatorCommand } from './emulator.command.js';

/** Every subcommand of the `nestjs-spotzee` bin; a new one is a file in lib/cli/ and a line here. */
const CLI_COMMANDS: readonly CliCommand[] = [emulatorCommand, catalogCommand];

function overview(): string {
  const width = Math.max(...CLI_COMMANDS.map((command) => command.name.length));
  return [
    'Usage: npx nestjs-spotzee <command> [options]',
    '',
    'Commands:',
    ...CLI_COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'npx nestjs-spotzee <command> --help shows the options of a command.',
  ].join('\n');
}

/**
 * Runs `nestjs-spotzee <command> …`. Resolves with an exit code, or with the running command (a
 * server) for the bin to stop on a signal. Bad usage prints what was wrong and the usage, exit code 2.
 */
export async function runCli(args: readonly string[], output: CliOutput): Promise<number | RunningCommand> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    output.out(overview());
    return name === undefined ? 2 : 0;
  }
  const command = CLI_COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    output.err(`Unknown command "${name}".\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    output.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, output);
  } catch (error) {
    if (error instanceof CliUsageError) {
      output.err(`${error.message}\n\n${command.usage}`);
      return 2;
    }
    throw error;
  }
}
