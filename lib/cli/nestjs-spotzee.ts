#!/usr/bin/env node
// The `nestjs-spotzee` bin (package.json "bin"): `npx nestjs-spotzee emulator --port 4010`.
import { runCli } from './cli-dispatcher.js';

const output = {
  out: (line: string): void => void process.stdout.write(`${line}\n`),
  err: (line: string): void => void process.stderr.write(`${line}\n`),
};

// No top-level await: the same source also compiles to the CommonJS build.
runCli(process.argv.slice(2), output).then(
  (result) => {
    if (typeof result === 'number') {
      process.exitCode = result;
      return;
    }
    const stop = (): void => {
      result.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          output.err(`Stopping failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (error: unknown) => {
    output.err(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
