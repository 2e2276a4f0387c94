import { parseArgs } from 'node:util';
import { RECEIVED_PATH } from '../emulator/received-listing.endpoint.js';
import { SpotzeeEmulator } from '../emulator/spotzee-emulator.js';
import type { ReceivedBatch } from '../emulator/emulator-records.js';
import { CliUsageError, type CliCommand, type CliOutput, type RunningCommand } from './cli-command.js';

const USAGE = `Usage: npx nestjs-spotzee emulator [--port 4010] [--host 127.0.0.1] [--api-key sk_…] [--quiet]

Runs a local Spotzee stand-in (the events API: keys, versions, body rules, idempotency, rate-limit
headers). Point your app at it with SPOTZEE_BASE_URL and SPOTZEE_API_KEY as printed at start-up.

  --port <n>       port to listen on (default 4010; 0 picks a free one)
  --host <host>    interface to bind (default 127.0.0.1)
  --api-key <key>  accept only this secret key (repeatable; default: any sk_… key)
  --quiet          do not print a line per received batch

GET ${RECEIVED_PATH} lists what it received (?name=order_placed to filter). Ctrl-C stops it.`;

/** `nestjs-spotzee emulator`: the emulator of `nestjs-spotzee/emulator`, from the command line. */
export const emulatorCommand: CliCommand = {
  name: 'emulator',
  summary: 'run a local Spotzee emulator (--port 4010) and print what it receives',
  usage: USAGE,
  async run(args: readonly string[], output: CliOutput): Promise<RunningCommand> {
    const options = parseEmulatorArgs(args);
    const emulator = await SpotzeeEmulator.start({
      host: options.host,
      port: options.port,
      ...(options.apiKeys.length > 0 ? { apiKeys: options.apiKeys } : {}),
      ...(options.quiet ? {} : { onBatch: (batch: ReceivedBatch) => output.out(describeBatch(batch)) }),
    });
    output.out(`Spotzee emulator listening on ${emulator.baseUrl}`);
    output.out(`  SPOTZEE_BASE_URL=${emulator.baseUrl}`);
    output.out(`  SPOTZEE_API_KEY=${emulator.apiKey}`);
    output.out(`  received so far: curl ${emulator.receivedUrl}`);
    return { stop: () => emulator.stop() };
  },
};

interface EmulatorArgs {
  port: number;
  host: string;
  apiKeys: string[];
  quiet: boolean;
}

function parseEmulatorArgs(args: readonly string[]): EmulatorArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        port: { type: 'string', default: '4010' },
        host: { type: 'string', default: '127.0.0.1' },
        'api-key': { type: 'string', multiple: true },
        quiet: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  const port = Number(parsed.values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(`--port must be an integer from 0 to 65535, got "${parsed.values.port}".`);
  }
  const apiKeys = parsed.values['api-key'] ?? [];
  const notSecret = apiKeys.find((key) => !key.startsWith('sk_'));
  if (notSecret !== undefined) {
    throw new CliUsageError('--api-key takes a secret key (sk_…); publishable pk_ keys are always refused by Spotzee.');
  }
  return { port, host: parsed.values.host, apiKeys, quiet: parsed.values.quiet };
}

/** `batch 3: 2 events (order_placed, stock_reserved), key 6f1c…` */
function describeBatch(batch: ReceivedBatch): string {
  const names = batch.events.map((event) => event.name);
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ');
  const key = batch.idempotencyKey === null ? 'no idempotency key' : `key ${batch.idempotencyKey.slice(0, 12)}…`;
  return `batch ${batch.index + 1}: ${names.length} event${names.length === 1 ? '' : 's'} (${shown}), ${key}`;
}
