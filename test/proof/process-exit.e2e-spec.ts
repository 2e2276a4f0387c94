import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { suiteEmulator } from '../support/suite-emulator.js';
import { ChildApp } from './support/child-app.js';
import { buildLibraryPrivately } from './support/private-library-build.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/exit-app.mjs', import.meta.url));

describe('a process that ends without app.close()', () => {
  const emulator = suiteEmulator();
  let libraryDir: string;
  let child: ChildApp | undefined;

  beforeAll(async () => {
    libraryDir = await buildLibraryPrivately(REPO_ROOT);
  }, 120_000);

  afterEach(() => child?.kill());

  function run(mode: string, baseUrl = emulator().baseUrl): ChildApp {
    child = new ChildApp(FIXTURE, {
      SPOTZEE_LIBRARY_DIR: libraryDir,
      SPOTZEE_BASE_URL: baseUrl,
      SPOTZEE_API_KEY: EMULATOR_API_KEY,
      EXIT_MODE: mode,
    });
    return child;
  }

  it('drains on beforeExit when a script simply ends: every event is delivered, nothing reported lost', async () => {
    const app = run('script-ends');
    const exit = await app.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(
      emulator()
        .events.map(({ event }) => event.external_id)
        .sort(),
    ).toEqual(['user_0', 'user_1', 'user_2']);
    expect(app.log).not.toContain('not yet delivered');
  }, 60_000);

  it.each([
    ['process.exit()', 'process-exit', 0],
    ['an uncaught exception', 'uncaught', 1],
  ])(
    'writes one line on exit saying how many events %s lost',
    async (_what, mode, code) => {
      // Spotzee is unreachable: the events are still pending when the process goes.
      await emulator().down();
      const app = run(mode);
      const exit = await app.exited;
      expect(exit.code).toBe(code);
      const lines = app.log.split('\n').filter((line) => line.includes('not yet delivered'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(
        'Spotzee: the process is exiting with 2 events not yet delivered (queued, in flight or being validated); they are lost.',
      );
      await emulator().up();
    },
    60_000,
  );
});
