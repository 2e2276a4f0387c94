// `npm run demo`: builds the library and the sample shop, runs the shop against an in-process Spotzee
// emulator, drives a scripted customer journey over real HTTP, and prints what Spotzee received.
// Exits 0 when the emulator received exactly the journey's expected events, 1 otherwise.
import { buildLibraryAndSample, sampleModule } from '../sample-app/tools/build.mjs';

const WAIT_FOR_EVENTS_MS = 15_000;

buildLibraryAndSample();

const { NestFactory } = await import('@nestjs/core');
const { SpotzeeTracker } = await import('nestjs-spotzee');
const { SpotzeeEmulator, EMULATOR_API_KEY } = await import('nestjs-spotzee/emulator');
const { AppModule } = await import(sampleModule('app.module.js'));
const { SubscriptionsService } = await import(sampleModule('subscriptions/subscriptions.service.js'));
const { runCustomerJourney } = await import(sampleModule('demo/customer-journey.js'));
const { findJourneyMismatches } = await import(sampleModule('demo/expected-event.js'));

const emulator = await SpotzeeEmulator.start();
// The demo never sends anywhere else, whatever the shell has set.
process.env.SPOTZEE_API_KEY = EMULATOR_API_KEY;
process.env.SPOTZEE_BASE_URL = emulator.baseUrl;
const app = await NestFactory.create(AppModule, { logger: ['error'] });
let exitCode = 1;
try {
  await app.listen(0, '127.0.0.1');
  const shopUrl = await app.getUrl();
  console.log(`\nShop on ${shopUrl}, events to the Spotzee emulator on ${emulator.baseUrl}\n`);

  const subscriptions = app.get(SubscriptionsService);
  const journey = await runCustomerJourney(shopUrl, {
    renewSubscriptions: (asOf) => subscriptions.renewDue(asOf),
    onStep: (step) =>
      console.log(`  ${pad(step.request, 34)} ${pad(step.status === null ? '' : String(step.status), 4)} ${step.note}`),
  });

  const tracker = app.get(SpotzeeTracker);
  const arrived = await waitForEvents(emulator, journey.expected.length);
  // Whatever the library still holds goes out now, so an unexpected extra event would show below.
  await tracker.flush();

  console.log(`\nSpotzee received ${emulator.events.length} event(s) in ${emulator.batches.length} batch(es):\n`);
  printTable(emulator.events, emulator.batches);
  const stats = tracker.stats();
  console.log(
    `\nLibrary stats: captured ${stats.captured}, delivered ${stats.delivered}, rejected ${stats.rejected}, ` +
      `dropped ${stats.dropped}, deduplicated ${stats.deduplicated}, pending ${stats.pending}, ` +
      `requests ${stats.requests}, retries ${stats.retries}, healthy ${stats.healthy}`,
  );

  const problems = arrived
    ? findJourneyMismatches(
        journey.expected,
        emulator.events.map((received) => received.event),
      )
    : [`only ${emulator.events.length} of ${journey.expected.length} events arrived`];
  if (problems.length === 0) {
    console.log(
      `\nOK: all ${journey.expected.length} expected events arrived once; the retried order was deduplicated and the declined payment sent nothing.`,
    );
    exitCode = 0;
  } else {
    console.error(
      `\nFAILED: the journey did not produce the expected events:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
} catch (error) {
  console.error(`\nFAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await app.close();
  await emulator.stop();
}
process.exit(exitCode);

async function waitForEvents(emulator, count) {
  try {
    await emulator.waitForEvents(count, { timeoutMs: WAIT_FOR_EVENTS_MS });
    return true;
  } catch {
    return false;
  }
}

function printTable(received, batches) {
  const header = ['#', 'name', 'external_id', 'anonymous_id', 'data', 'user', 'batch'];
  const rows = received.map((item, index) => [
    String(index + 1),
    item.event.name,
    item.event.external_id ?? '-',
    item.event.anonymous_id ?? '-',
    clip(flatten(item.event.data), 76),
    clip(flatten(item.event.user), 48),
    `#${item.batchIndex + 1} ${clip(item.idempotencyKey ?? '-', 14)}`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => `  ${cells.map((cell, column) => pad(cell, widths[column])).join('  ')}`.trimEnd();
  console.log(line(header));
  console.log(line(widths.map((width) => '─'.repeat(width))));
  for (const row of rows) console.log(line(row));
  console.log('');
  for (const batch of batches) {
    console.log(
      `  batch #${batch.index + 1}  ${batch.events.length} event(s), ${batch.bytes} bytes, Idempotency-Key ${batch.idempotencyKey ?? '(none)'}`,
    );
  }
}

function clip(text, width) {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** `{ order_id: 'ord_1', user: { plan: 'pro' } }` -> `order_id=ord_1 user.plan=pro`: narrower than JSON. */
function flatten(value, prefix = '') {
  if (value === undefined || value === null) return prefix === '' ? '-' : `${prefix}=null`;
  if (Array.isArray(value)) {
    return `${prefix}=[${value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join(',')}]`;
  }
  if (typeof value !== 'object') return `${prefix}=${String(value)}`;
  const parts = Object.entries(value).map(([key, inner]) => flatten(inner, prefix === '' ? key : `${prefix}.${key}`));
  return parts.length === 0 ? `${prefix === '' ? '' : `${prefix}=`}{}` : parts.join(' ');
}

function pad(text, width) {
  return text + ' '.repeat(Math.max(0, width - text.length));
}
