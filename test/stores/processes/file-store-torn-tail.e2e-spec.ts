import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suiteEmulator } from '../../support/suite-emulator.js';
import { arrivals, duplicates, settled, StoreAppProcess, libraryBuiltOnce } from './support/store-app-process.js';

describe('FileEventStore: a log torn mid-record, found by a restarted Nest app', () => {
  const emulator = suiteEmulator();
  const libraryDir = libraryBuiltOnce();
  let directory: string;
  const apps: StoreAppProcess[] = [];

  afterEach(() => {
    for (const app of apps.splice(0)) app.child.kill();
    rmSync(directory, { recursive: true, force: true });
  });

  it('says what it cut, does not crash, and delivers every event written before the tear exactly once', async () => {
    directory = mkdtempSync(join(tmpdir(), 'spotzee-torn-'));
    // Nothing leaves on its own: the 50 events stay queued in the log, the last one written last.
    const first = await StoreAppProcess.start(
      libraryDir(),
      emulator(),
      { RUN: 'torn', STORE: 'file', STORE_DIRECTORY: directory },
      { flushIntervalMs: 60_000, maxBatchEvents: 100 },
    );
    apps.push(first);
    await first.post('/burst/50');
    await first.kill();
    expect(emulator().events).toHaveLength(0);

    // What a crash in the middle of a write leaves: the last record cut short.
    const segments = readdirSync(directory)
      .filter((name) => name.endsWith('.log'))
      .map((name) => join(directory, name))
      .filter((path) => statSync(path).size > 0);
    expect(segments).toHaveLength(1);
    const size = statSync(segments[0]!).size;
    truncateSync(segments[0]!, size - 20);

    const second = await StoreAppProcess.start(
      libraryDir(),
      emulator(),
      { RUN: 'torn-again', STORE: 'file', STORE_DIRECTORY: directory },
      { flushIntervalMs: 20 },
    );
    apps.push(second);
    expect(second.child.log).toMatch(
      /FileEventStore: the log "[^"]+segment-\d+\.log" ended in an incomplete record \([\w ]+\) at byte \d+: \d+ bytes were cut off\. .*every whole record before it was recovered\./,
    );
    expect(second.child.log).toMatch(/FileEventStore: recovered 49 queued events and 0 unsent batches/);

    const { stats } = await settled(second);
    expect(stats).toMatchObject({ captured: 49, delivered: 49, dropped: 0, rejected: 0, pending: 0 });
    expect(duplicates(emulator())).toEqual([]);
    const arrived = [...arrivals(emulator()).keys()].sort();
    const beforeTheTear = first.captured.filter((uid) => uid !== 'torn-burst-50').sort();
    expect(arrived).toEqual(beforeTheTear);
    await second.terminate();
  }, 120_000);
});
