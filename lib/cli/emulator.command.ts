import { parseArgs } from 'node:util';
import type { ReceivedBatch } from '../emulator/emulator-records.js';
import { RECEIVED_PATH } from '../emulator/received-listing.endpoint.js';
import { SpotzeeEmulator } from '../emulator/spotzee-emulator.js';
import { CliUsageError, EXIT, type CliIo } from './cli-io.js';

const HELP = `Usage: npx nestjs-spotzee emulator [options]

Runs a local Spotzee stand-in (the events API: keys, versions, body rules, idempotency, rate-limit
headers). Point your app at it with SPOTZEE_BASE_URL and SPOTZEE_API_KEY as printed at start-up.

Options:
      --port <n>       Port to listen on (default 4010; 0 picks a free one).
      --host <host>    Interface to bind (default 127.0.0.1).
      --api-key <key>  Accept only this secret key (repeatable; default: any sk_… key).
      --quiet          No line per received batch.
  -h, --help           Show this help.

GET ${RECEIVED_PATH} lists what it received (?name=order_placed to filter). Ctrl-C stops it.
`;

interface EmulatorArgs {
  port: number;
  host: string;
  apiKeys: string[];
  quiet: boolean;
  help: boolean;
}

/** Resolves on the first SIGINT or SIGTERM: how a person stops the emulator they started. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * `nestjs-spotzee emulator`: the emulator of `nestjs-spotzee/emulator` from the command line. Prints
 * the settings to paste and a line per received batch, runs until `stopped` resolves (a signal), then
 * stops the server and resolves to the exit code.
 */
export async function runEmulatorCommand(
  argv: readonly string[],
  io: CliIo,
  stopped: () => Promise<void> = untilSignal,
): Promise<number> {
  const args = parseEmulatorArgs(argv);
  if (args.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  const emulator = await SpotzeeEmulator.start({
    host: args.host,
    port: args.port,
    ...(args.apiKeys.length > 0 ? { apiKeys: args.apiKeys } : {}),
    ...(args.quiet ? {} : { onBatch: (batch: ReceivedBatch) => io.out(`${describeBatch(batch)}\n`) }),
  });
  io.out(
    `Spotzee emulator listening on ${emulator.baseUrl}\n` +
      `  SPOTZEE_BASE_URL=${emulator.baseUrl}\n` +
      `  SPOTZEE_API_KEY=${emulator.apiKey}\n` +
      `  received so far: curl ${emulator.receivedUrl}\n`,
  );
  await stopped();
  await emulator.stop();
  return EXIT.ok;
}

function parseEmulatorArgs(argv: readonly string[]): EmulatorArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string', default: '4010' },
        host: { type: 'string', default: '127.0.0.1' },
        'api-key': { type: 'string', multiple: true },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new CliUsageError(`${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
  }
  const port = Number(parsed.values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliUsageError(`--port must be an integer from 0 to 65535, got "${parsed.values.port}".`);
  }
  const apiKeys = parsed.values['api-key'] ?? [];
  if (apiKeys.some((key) => !key.startsWith('sk_'))) {
    throw new CliUsageError('--api-key takes a secret key (sk_…); publishable pk_ keys are always refused by Spotzee.');
  }
  return { port, host: parsed.values.host, apiKeys, quiet: parsed.values.quiet, help: parsed.values.help };
}

/** `batch 3: 2 events (order_placed, stock_reserved), key 6f1c…` */
function describeBatch(batch: ReceivedBatch): string {
  const names = batch.events.map((event) => event.name);
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, …` : names.join(', ');
  const key = batch.idempotencyKey === null ? 'no idempotency key' : `key ${batch.idempotencyKey.slice(0, 12)}…`;
  return `batch ${batch.index + 1}: ${names.length} event${names.length === 1 ? '' : 's'} (${shown}), ${key}`;
}
