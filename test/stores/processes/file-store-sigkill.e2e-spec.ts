import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteEmulator } from '../../support/suite-emulator.js';
import {
  arrivals,
  duplicates,
  missing,
  OrderLoad,
  replayedEvents,
  settled,
  StoreAppProcess,
  waitFor,
  libraryBuiltOnce,
} from './support/store-app-process.js';

/** Small batches sent often, so many are frozen and several in flight at any moment of the load. */
const OPTIONS = { flushIntervalMs: 20, maxBatchEvents: 25, retryBaseMs: 50, retryMaxMs: 200, rateLimitMaxMs: 200 };

describe('FileEventStore: a Nest app SIGKILLed under load and restarted on the same directory', () => {
  const emulator = suiteEmulator();
  const libraryDir = libraryBuiltOnce();
  let directory: string;
  const apps: StoreAppProcess[] = [];

  afterEach(() => {
    for (const app of apps.splice(0)) app.child.kill();
    rmSync(directory, { recursive: true, force: true });
  });

  it('delivers every event whose track() returned and every committed request’s event exactly once', async () => {
    directory = mkdtempSync(join(tmpdir(), 'spotzee-file-sigkill-'));
    const first = await StoreAppProcess.start(
      libraryDir(),
      emulator(),
      {
        RUN: 'first',
        STORE: 'file',
        STORE_DIRECTORY: directory,
      },
      OPTIONS,
    );
    apps.push(first);

    // Load from both sides: events tracked outside requests every millisecond, and 8 clients placing orders.
    await first.post('/load/start?perTick=1');
    const orders = new OrderLoad(first, 8, 'first');
    await emulator().waitForEvents(200, { timeoutMs: 30_000 });

    // From now on Spotzee holds every request open: batches are in flight when the process dies.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    emulator().inject({ kind: 'slow', delayMs: 0, until: held }, { times: Infinity });
    const capturedBeforeHold = first.captured.length;
    await waitFor(
      () => emulator().stats().inFlight >= 2 && first.captured.length >= capturedBeforeHold + 300,
      'batches in flight while capture goes on',
      30_000,
    );
    await first.kill();
    await orders.done;
    const captured = new Set(first.captured);
    const heldRequests = emulator().stats().inFlight;

    // Spotzee now answers the held requests (their client is gone) and everything after them normally.
    release();
    await emulator().waitUntil((s) => s.stats().inFlight === 0, { description: 'the held requests answered' });
    emulator().clearFaults();
    const deliveredBeforeRestart = emulator().events.length;
    expect(missing(emulator(), captured).length).toBeGreaterThan(0);

    const second = await StoreAppProcess.start(
      libraryDir(),
      emulator(),
      {
        RUN: 'second',
        STORE: 'file',
        STORE_DIRECTORY: directory,
      },
      OPTIONS,
    );
    apps.push(second);
    expect(second.child.log).toMatch(/FileEventStore: recovered \d+ queued events and \d+ unsent batches/);

    await waitFor(() => missing(emulator(), captured).length === 0, 'every captured event delivered', 30_000);
    const report = await settled(second);

    expect(duplicates(emulator())).toEqual([]);
    // Nothing arrived that the first process did not capture: at most the few events whose capture
    // completed in the instant between `track()` returning (or the commit) and its report line.
    const unreported = [...arrivals(emulator()).keys()].filter((uid) => !captured.has(uid));
    expect(unreported.every((uid) => uid.startsWith('first-'))).toBe(true);
    expect(unreported.length).toBeLessThanOrEqual(1 + 8);
    // The batches in flight at the kill were resent under their frozen key and answered as replays.
    expect(heldRequests).toBeGreaterThanOrEqual(2);
    expect(emulator().requests.filter((request) => request.replayed).length).toBeGreaterThanOrEqual(1);
    expect(emulator().stats().idempotencyMismatches).toBe(0);
    // The restarted process owns what it recovered: its counters add up, nothing dropped or rejected.
    const { stats } = report;
    expect(stats.captured).toBe(stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending);
    expect(stats).toMatchObject({ dropped: 0, rejected: 0, pending: 0, store: { name: 'file', up: true, depth: 0 } });
    // It delivered what arrived after the restart, and the replayed batches (Spotzee had them already).
    expect(stats.delivered).toBe(emulator().events.length - deliveredBeforeRestart + replayedEvents(emulator()));
    await second.terminate();
  }, 120_000);
});
