/**
 * Proof of the README's promise "the quick start, pasted into a fresh Nest app, gives a first event at
 * the emulator without reading further". The app in ./fixtures/nest11-new is exactly what
 * `npx @nestjs/cli@11 new --package-manager npm` generates (its package.json, tsconfigs, nest-cli.json,
 * sources, unit and e2e tests; its lockfile pins what that package.json resolved to). The steps come
 * from README.md's blocks marked `<!-- quick-start:… -->`, run in order as a reader runs them:
 * `npm install nestjs-spotzee` installs the packed tarball, `npx nestjs-spotzee emulator` starts the
 * emulator CLI, the snippets are merged into the generated files, `npm run start` boots the app with
 * `nest start`, and the curl line is replayed with fetch.
 *
 * Only the ports differ from the README: the emulator gets a free one (`--port 0`, and the snippets'
 * 4010 becomes the port it printed) and the app another (`PORT`, which the generated main.ts reads),
 * so that runs beside each other never collide.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackgroundProcess } from './background-process.js';
import { ConsumerApp } from './consumer-app.js';
import { buildAndPackLibrary } from './library-tarball.js';
import { applySnippet, parseCurl, readQuickStart, type QuickStartStep } from './readme-quick-start.js';
import { childEnv, runCommand, type CommandResult } from './run-command.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

// Installing from a cold registry is the slow part; these are ceilings, not expectations.
const SETUP_TIMEOUT_MS = 10 * 60_000;
const RUN_TIMEOUT_MS = 4 * 60_000;
const PRINT_TIMEOUT_MS = 2 * 60_000;

const README_PORT = '4010';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function expectExitZero(result: CommandResult): void {
  if (result.code !== 0) {
    throw new Error(`${result.command} exited with ${result.code ?? result.signal}:\n${result.output}`);
  }
}

interface ReceivedListing {
  count: number;
  events: Array<{ event: Record<string, unknown>; idempotencyKey: string | null; batchIndex: number }>;
  stats: { bytesReceived: number };
}

describe("the README's quick start in an app as `nest new` (Nest 11) generates it", () => {
  const runDir = mkdtempSync(join(tmpdir(), 'nestjs-spotzee-quick-start-'));
  const steps = readQuickStart(join(repoRoot, 'README.md'));
  const shellSteps = steps.filter((step): step is Extract<QuickStartStep, { kind: 'shell' }> => step.kind === 'shell');
  const edits = steps.filter((step): step is Extract<QuickStartStep, { kind: 'edit' }> => step.kind === 'edit');
  let app: ConsumerApp;
  let emulator: BackgroundProcess | undefined;
  let emulatorBaseUrl: string;
  let server: BackgroundProcess | undefined;

  beforeAll(async () => {
    // The README's shape this test knows how to follow: install and start the emulator, edit, run and request.
    expect(shellSteps.map((step) => step.commands.map((command) => command.split(' ').slice(0, 2).join(' ')))).toEqual([
      ['npm install', 'npx nestjs-spotzee'],
      ['npm run', 'curl -H'],
    ]);
    expect(edits.map((step) => step.file)).toEqual(['src/app.module.ts', 'src/app.controller.ts']);

    // Step 1, `npm install nestjs-spotzee`: this build's tarball, installed the way npm installs the package.
    expect(shellSteps[0].commands[0]).toBe('npm install nestjs-spotzee');
    const [tarball, opened] = await Promise.all([
      buildAndPackLibrary(repoRoot, join(runDir, 'library')),
      ConsumerApp.open(join(here, 'fixtures'), 'nest11-new', runDir, { withSharedScripts: false }),
    ]);
    app = opened;
    await app.installLibrary(tarball);

    // `npx nestjs-spotzee emulator --port 4010`, on a free port.
    const [npx, ...emulatorArgs] = shellSteps[0].commands[1].split(/\s+/);
    expect(emulatorArgs).toContain(README_PORT);
    emulator = BackgroundProcess.start(
      npx,
      emulatorArgs.map((arg) => (arg === README_PORT ? '0' : arg)),
      { cwd: app.dir },
    );
    [, emulatorBaseUrl] = await emulator.waitFor(/Spotzee emulator listening on (\S+)/, PRINT_TIMEOUT_MS);
    const emulatorPort = new URL(emulatorBaseUrl).port;

    // The snippets, merged into the generated files (4010 becoming the emulator's port).
    for (const { file, snippet } of edits) {
      const path = join(app.dir, file);
      const pointed = snippet.replaceAll(`:${README_PORT}/`, `:${emulatorPort}/`);
      writeFileSync(path, applySnippet(readFileSync(path, 'utf8'), pointed, file));
    }
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await server?.stop();
    await emulator?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  const receivedAtEmulator = async (): Promise<ReceivedListing> => {
    const response = await fetch(new URL('/_emulator/events', emulatorBaseUrl));
    expect(response.status).toBe(200);
    return (await response.json()) as ReceivedListing;
  };

  it(
    '`npm run start` and the curl line: the event reaches the emulator, which prints it and lists it',
    async () => {
      const [start, curl] = shellSteps[1].commands;
      expect(start).toBe('npm run start');
      const appPort = await freePort();
      server = BackgroundProcess.start('npm', ['run', 'start'], { cwd: app.dir, env: { PORT: String(appPort) } });
      await server.waitFor(/Nest application successfully started/, PRINT_TIMEOUT_MS);
      // The library's one start-up line names where it sends.
      expect(server.printed).toContain(`Spotzee ready (nestjs-spotzee `);
      expect(server.printed).toContain(`127.0.0.1:${new URL(emulatorBaseUrl).port}`);

      const request = parseCurl(curl);
      const url = new URL(request.url);
      expect(url.port).toBe('3000');
      url.port = String(appPort);
      const response = await fetch(url, { headers: request.headers });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('Hello World!');

      // What the README says the emulator's terminal prints.
      await emulator
        ?.waitFor(/batch 1: 1 event \(hello_requested\), key \w+/, PRINT_TIMEOUT_MS)
        .catch((error: Error) => {
          throw new Error(`${error.message}\nThe app printed:\n${server?.printed}`);
        });
      const received = await receivedAtEmulator();
      expect(received.count).toBe(1);
      expect(received.events[0]).toMatchObject({ batchIndex: 0, idempotencyKey: expect.any(String) });
      // The whole wire event, as the README shows it: nothing more, nothing less, in this order.
      const { event } = received.events[0];
      expect(event).toEqual({
        name: 'hello_requested',
        anonymous_id: 'visitor_1',
        data: { message: 'Hello World!' },
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
      expect(Object.keys(event)).toEqual(['name', 'anonymous_id', 'data', 'created_at']);
      // One request whose body was that event as a bare JSON array, byte for byte (compact, UTF-8).
      expect(received.stats).toMatchObject({
        requests: 1,
        acceptedBatches: 1,
        acceptedEvents: 1,
        replays: 0,
        clientErrors: {},
        idempotencyMismatches: 0,
        bytesReceived: Buffer.byteLength(JSON.stringify([event])),
      });
      // Nothing went wrong on the app's side either.
      expect(server.printed).not.toMatch(/\bERROR\b|rejected|dropped/);
      await server.stop();
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "the app's generated tests still pass after the quick start: `npm test` (unit) and `npm run test:e2e`",
    async () => {
      const env = childEnv();
      for (const script of ['test', 'test:e2e']) {
        expectExitZero(
          await runCommand('npm', ['run', script, '--', '--ci'], { cwd: app.dir, env, killAfterMs: RUN_TIMEOUT_MS }),
        );
      }
    },
    RUN_TIMEOUT_MS,
  );
});
