import { afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryEngine } from '../../../lib/delivery/index.js';
import type { DeliveryOptions } from '../../../lib/delivery/index.js';
import { SpotzeeEmulator } from '../../../lib/emulator/index.js';
import type { FileEventStore } from '../../../lib/stores/file/index.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { FAST_OPTIONS, TEST_KEY } from '../../delivery/support/engine-harness.js';

export interface FileStoreFixtures {
  /** An emulator accepting the test key, stopped after the test. */
  emulator(): Promise<SpotzeeEmulator>;
  /** A fresh directory for a store, removed after the test. */
  directory(): string;
  /** An engine on `store`, closed (deadline 0) after the test, with the logger it writes to. */
  engineOn(
    baseUrl: string,
    store: FileEventStore,
    options?: DeliveryOptions,
  ): { engine: DeliveryEngine; logger: RecordingLogger };
}

/**
 * What the file-store specs make per test, torn down after each in the reverse order: engines close
 * before their directory is removed. Call it once at the top of a spec file.
 */
export function fileStoreFixtures(): FileStoreFixtures {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async emulator() {
      const started = await SpotzeeEmulator.start({ apiKeys: [TEST_KEY] });
      cleanups.push(() => started.stop());
      return started;
    },
    directory() {
      const dir = mkdtempSync(join(tmpdir(), 'spz-store-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    engineOn(baseUrl, store, options = {}) {
      const logger = new RecordingLogger();
      const engine = new DeliveryEngine(
        { apiKey: TEST_KEY, baseUrl, logger, ...FAST_OPTIONS, ...options },
        { queue: store },
      );
      cleanups.push(() => engine.close({ deadlineMs: 0 }).then(() => undefined));
      return { engine, logger };
    },
  };
}
