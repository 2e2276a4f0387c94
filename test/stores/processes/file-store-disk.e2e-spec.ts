import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliveryEngine } from '../../../lib/delivery/index.js';
import { EMULATOR_API_KEY } from '../../../lib/emulator/index.js';
import { FileEventStore } from '../../../lib/stores/file/index.js';
import { event, expectInvariant } from '../../delivery/support/engine-harness.js';
import { RecordingLogger } from '../../support/recording-logger.js';
import { FillingDisk } from '../support/filling-disk.js';
import { suiteEmulator } from '../../support/suite-emulator.js';
import { canMountTmpfs, mountSmallTmpfs, unmount } from './support/small-tmpfs.js';
import {
  arrivals,
  duplicates,
  settled,
  StoreAppProcess,
  waitFor,
  libraryBuiltOnce,
} from './support/store-app-process.js';

const OPTIONS = { flushIntervalMs: 20, maxBatchEvents: 25, retryBaseMs: 50, retryMaxMs: 200 };
/**
 * A real tmpfs needs root (or CAP_SYS_ADMIN); without it the same promise is proved on a simulated disk.
 * `SPOTZEE_FORCE_SIMULATED_DISK=1` runs the simulated one where mounting works too.
 */
const TMPFS = process.env.SPOTZEE_FORCE_SIMULATED_DISK === undefined && canMountTmpfs();
const onTmpfs = TMPFS ? it : it.skip;
const simulated = TMPFS ? it.skip : it;

describe('FileEventStore on a disk that fills up (a real tmpfs)', () => {
  const emulator = suiteEmulator();
  const libraryDir = libraryBuiltOnce();
  let directory: string;
  let mounted = false;
  const apps: StoreAppProcess[] = [];

  afterEach(async () => {
    for (const app of apps.splice(0)) {
      app.child.kill();
      await app.child.exited;
    }
    if (mounted) unmount(directory);
    rmSync(directory, { recursive: true, force: true });
  });

  onTmpfs(
    'reports each event it cannot write (store_failed), never crashes, and writes again once delivery frees the disk',
    async () => {
      directory = mkdtempSync(join(tmpdir(), 'spotzee-full-disk-'));
      mounted = mountSmallTmpfs(directory, '256k');
      expect(mounted).toBe(true);
      // Spotzee is down: nothing is acknowledged, so the log only grows until the filesystem is full.
      await emulator().down();
      const app = await StoreAppProcess.start(
        libraryDir(),
        emulator(),
        {
          RUN: 'full',
          STORE: 'file',
          STORE_DIRECTORY: directory,
        },
        OPTIONS,
      );
      apps.push(app);
      await app.post('/load/start?perTick=5&everyMs=1');
      await waitFor(() => app.dropped.size >= 20, 'events refused by the full disk', 30_000);
      await app.post('/load/stop');

      expect(app.child.log).toMatch(
        /FileEventStore: writing to "[^"]+" failed \(ENOSPC[^)]*\)\. Events that cannot be written are dropped and reported \(store_failed\)/,
      );
      expect(new Set(app.dropped.values())).toEqual(new Set(['store_failed']));
      const full = await app.report();
      expect(full.health).toMatchObject({ healthy: false, store: { name: 'file', up: false } });
      expect(full.stats.store.problem).toMatch(/ENOSPC/);
      expect(full.stats.captured).toBe(
        full.stats.delivered + full.stats.rejected + full.stats.dropped + full.stats.deduplicated + full.stats.pending,
      );

      // Spotzee is back: what was written is delivered, its segments are deleted, and writing resumes.
      await emulator().up();
      await settled(app);
      await app.post('/burst/50');
      const after = await settled(app);
      expect(app.child.log).toMatch(/FileEventStore: "[^"]+" accepts writes again/);
      // Nothing delivered stays live on disk, not even events whose batch record the full disk refused.
      expect(after.health).toMatchObject({ store: { name: 'file', up: true, depth: 0 } });
      expect(after.stats.dropped).toBe(app.dropped.size);
      const burst = app.captured.filter((uid) => uid.startsWith('full-burst-'));
      expect(burst).toHaveLength(50);
      expect(burst.filter((uid) => app.dropped.has(uid))).toEqual([]);

      // Every captured event is accounted for: delivered exactly once, or reported dropped, never both.
      expect(duplicates(emulator())).toEqual([]);
      const arrived = arrivals(emulator());
      const unaccounted = app.captured.filter((uid) => arrived.has(uid) === app.dropped.has(uid));
      expect(unaccounted).toEqual([]);
      expect(after.stats).toMatchObject({ pending: 0, rejected: 0, delivered: arrived.size });
      await app.terminate();
    },
    120_000,
  );

  simulated(
    'the same on a SIMULATED full disk (FillingDisk: tmpfs cannot be mounted on this machine), in process',
    async () => {
      directory = mkdtempSync(join(tmpdir(), 'spotzee-full-disk-'));
      const disk = new FillingDisk();
      disk.limit = 64 * 1024;
      const logger = new RecordingLogger();
      const engine = new DeliveryEngine(
        { apiKey: EMULATOR_API_KEY, baseUrl: emulator().baseUrl, logger, ...OPTIONS },
        { queue: new FileEventStore({ directory }, { openFile: disk.open }) },
      );
      const dropped = new Map<string, string>();
      engine.on('dropped', (outcome) => dropped.set(outcome.event.externalId!, outcome.reason));
      try {
        await emulator().down();
        engine.start();
        const captured: string[] = [];
        while (dropped.size < 20) {
          const input = event();
          engine.capture(input);
          captured.push(String(input.externalId));
          if (captured.length % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        expect(new Set(dropped.values())).toEqual(new Set(['store_failed']));
        expect(logger.messages('error').join('\n')).toMatch(
          /failed \(ENOSPC[^)]*\)\. Events that cannot be written are dropped and reported \(store_failed\)/,
        );
        expect(engine.health()).toMatchObject({ store: { name: 'file', up: false } });
        expectInvariant(engine);

        await emulator().up();
        await engine.flush();
        for (let i = 0; i < 50; i++) {
          const input = event();
          engine.capture(input);
          captured.push(String(input.externalId));
        }
        await engine.flush();
        expect(engine.stats()).toMatchObject({ pending: 0, dropped: dropped.size, store: { up: true, depth: 0 } });
        expect(duplicates(emulator())).toEqual([]);
        const arrived = arrivals(emulator());
        expect(captured.filter((uid) => arrived.has(uid) === dropped.has(uid))).toEqual([]);
        expectInvariant(engine);
      } finally {
        await engine.close({ deadlineMs: 0 });
      }
    },
  );
});
