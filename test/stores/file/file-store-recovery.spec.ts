import { describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DeliveryOptions } from '../../../lib/delivery/index.js';
import { FileEventStore } from '../../../lib/stores/file/index.js';
import { fileStoreFixtures } from '../support/file-store-fixtures.js';
import { event, expectInvariant } from '../../delivery/support/engine-harness.js';

/** Events a crashed process left queued on disk: far more than the store's memory window (4,096). */
const BACKLOG = 100_000;
const MEMORY_WINDOW = 4096;

/** The store, with its in-memory window counted through the shared base's queue. */
class ObservedFileEventStore extends FileEventStore {
  get inMemory(): number {
    return this.queue.size;
  }
}

/** `global.gc` without starting Jest with `--expose-gc`: the flag applies to contexts created after it. */
function garbageCollector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const { emulator, directory, engineOn } = fileStoreFixtures();

describe('FileEventStore recovering a large backlog', () => {
  it('keeps the recovered backlog on disk within the memory window, and delivers every event of it once, in order', async () => {
    const spotzee = await emulator();
    const dir = directory();
    const options: DeliveryOptions = { maxQueueEvents: BACKLOG, maxInFlight: 1 };

    // First life: Spotzee is unreachable and the process stops with the whole backlog queued on disk.
    await spotzee.down();
    const first = engineOn(spotzee.baseUrl, new FileEventStore({ directory: dir }), options);
    const captured: number[] = [];
    for (let i = 0; i < BACKLOG; i++) {
      const input = event();
      const data = input.data as { seq: number; note?: string };
      data.note = 'an event carries a little more than its sequence number';
      captured.push(data.seq);
      first.engine.capture(input);
    }
    expect(await first.engine.close({ deadlineMs: 0 })).toMatchObject({ kept: BACKLOG, dropped: 0 });
    await spotzee.up();

    // Second life: recovery scans the log but leaves the events where they are.
    const gc = garbageCollector();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const store = new ObservedFileEventStore({ directory: dir });
    const second = engineOn(spotzee.baseUrl, store, options);
    gc();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

    expect(second.engine.stats()).toMatchObject({ captured: BACKLOG, pending: BACKLOG, store: { depth: BACKLOG } });
    expect(store.inMemory).toBeLessThanOrEqual(MEMORY_WINDOW);
    // The first life may have frozen a full batch before it stopped: it comes back as a batch.
    const said = /recovered (\d+) queued events and (\d+) unsent batches/.exec(
      second.logger.messages('warn').join('\n'),
    );
    expect(Number(said?.[1]) + 100 * Number(said?.[2])).toBe(BACKLOG);
    // Holding the events would cost hundreds of bytes each (their JSON, their objects); a few bytes each
    // is room for the heap's own noise. The locations (24 bytes an event) live in typed arrays.
    expect(heapGrowth).toBeLessThan(BACKLOG * 40);

    // The drain reads the backlog back as it goes, never holding more than the window.
    let largestWindow = store.inMemory;
    second.engine.on('delivered', () => {
      largestWindow = Math.max(largestWindow, store.inMemory);
    });
    second.engine.start();
    expect(await second.engine.flush({ timeoutMs: 120_000 })).toBe(true);

    expect(largestWindow).toBeLessThanOrEqual(MEMORY_WINDOW);
    const arrived = spotzee.events.map((received) => (received.event.data as { seq: number }).seq);
    expect(arrived).toHaveLength(BACKLOG);
    expect(arrived).toEqual(captured);
    expect(second.engine.stats()).toMatchObject({ delivered: BACKLOG, pending: 0, dropped: 0, store: { depth: 0 } });
    expectInvariant(second.engine);
  }, 180_000);
});
