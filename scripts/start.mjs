// `npm start`: builds the library and the sample shop, then runs the shop on PORT (default 3000).
// Without SPOTZEE_API_KEY the events go to an embedded Spotzee emulator on loopback (no account, no
// network), and every batch it receives is printed. With SPOTZEE_API_KEY (and optionally
// SPOTZEE_BASE_URL) they go to Spotzee. The emulator's inspector page (its URL is printed) shows every
// request and event as it arrives. Ctrl-C drains the queue before exiting.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildLibraryAndSample, sampleModule } from '../sample-app/tools/build.mjs';

// Read .env here too, so the choice between emulator and Spotzee sees the same settings the app will.
if (existsSync(join(process.cwd(), '.env'))) process.loadEnvFile(join(process.cwd(), '.env'));
const port = process.env.PORT ?? '3000';
// The file store: events survive a crash or a kill, and the next `npm start` delivers what was left.
process.env.SPOTZEE_STORE_DIR ??= '.spotzee';

buildLibraryAndSample();

let target;
let inspector = null;
if (process.env.SPOTZEE_API_KEY) {
  target = `${process.env.SPOTZEE_BASE_URL || 'https://apix.spotzee.com/api/client'} (SPOTZEE_API_KEY from the environment)`;
} else {
  // Imported by name after the build: Node resolves the package's self-reference to dist/esm.
  const { SpotzeeEmulator, EMULATOR_API_KEY } = await import('nestjs-spotzee/emulator');
  // SPOTZEE_INSPECTOR_PORT pins the inspector's port, for a bookmark; by default it is ephemeral.
  const inspectorPort = Number(process.env.SPOTZEE_INSPECTOR_PORT ?? 0);
  const emulator = await SpotzeeEmulator.start({ onBatch: printBatch, inspectorPort });
  inspector = emulator.inspectorUrl;
  process.env.SPOTZEE_API_KEY = EMULATOR_API_KEY;
  process.env.SPOTZEE_BASE_URL = emulator.baseUrl;
  target = `the local Spotzee emulator at ${emulator.baseUrl} (set SPOTZEE_API_KEY to send to Spotzee)`;
}

// On Ctrl-C, Nest's shutdown hooks drain the queue into the emulator, which is still up in this
// process, then re-raise the signal to exit.
try {
  await import(sampleModule('main.js'));
} catch (error) {
  console.error(`The sample app failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const shop = `http://localhost:${port}`;
console.log(`
  Shop       ${shop}
  Events     ${target}${inspector === null ? '' : `\n  Inspector  ${inspector}  (open it: every request and event live, and buttons that inject faults)`}

  Sign up a visitor (the response's token authorises the next calls):
    curl -s -X POST ${shop}/accounts -H 'content-type: application/json' -H 'x-anonymous-id: anon_123' -d '{"email":"ada@example.com","name":"Ada"}'
  Then place an order as that account:
    curl -s -X POST ${shop}/orders -H 'content-type: application/json' -H 'authorization: Bearer user_1001' -d '{"items":[{"sku":"mug-001","quantity":2}]}'

  Ctrl-C stops the shop after sending what is still queued.
`);

function printBatch(batch) {
  const names = batch.events.map((event) => event.name).join(', ');
  console.log(
    `  ← Spotzee received batch #${batch.index + 1}: ${batch.events.length} event(s) [${names}], Idempotency-Key ${batch.idempotencyKey ?? '(none)'}`,
  );
}
