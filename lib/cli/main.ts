#!/usr/bin/env node
// The `nestjs-spotzee` bin.
import { runCli } from './run-cli.js';

void runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
