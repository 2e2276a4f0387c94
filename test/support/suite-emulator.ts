import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import { SpotzeeEmulator, type SpotzeeEmulatorOptions } from '../../lib/emulator/index.js';

/**
 * One emulator for the enclosing describe block, reset before each test: starting a server per test
 * would cost more than most tests, and `reset()` gives each test a clean record and no faults.
 * Returns an accessor because the emulator only exists once `beforeAll` has run. Call it before the
 * block's own hooks: Jest runs hooks in declaration order, so the emulator is up before the block's
 * `beforeAll` and stops before its `afterAll`; apps that send to it close in the tests, in `afterEach`
 * or in nested blocks.
 */
export function suiteEmulator(options: SpotzeeEmulatorOptions = {}): () => SpotzeeEmulator {
  let emulator: SpotzeeEmulator | undefined;

  beforeAll(async () => {
    emulator = await SpotzeeEmulator.start(options);
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  beforeEach(() => emulator?.reset());

  return () => {
    if (emulator === undefined) throw new Error('the suite emulator is used before beforeAll started it');
    return emulator;
  };
}
