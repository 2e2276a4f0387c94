import { describe, expect, it } from '@jest/globals';
import { batchBody, batchKey, EventQueueStore, MemoryEventQueue } from '../../lib/delivery/index.js';
import type { QueuedEvent, RecoveredQueue, StoredBatch, TakeLimits } from '../../lib/delivery/index.js';
import { eventually } from '../support/eventually.js';
import { expectInvariant, startHarness, stopHarnessesAfterEach } from './support/engine-harness.js';
import { preparedEvent } from './support/prepared-event.js';

stopHarnessesAfterEach();

const later = <T>(value: () => T): Promise<T> =>
  new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(value());
      } catch (error) {
        reject(error as Error);
      }
    }),
  );

/**
 * A store that answers every operation a turn later, the way a disk or a server would, and writes down
 * what it was told. Events live in a memory queue underneath; `take` hands them over only when its
 * promise resolves, as the seam's contract says.
 */
class AsyncJournalStore extends EventQueueStore {
  readonly inner = new MemoryEventQueue();
  readonly journal: string[] = [];
  recovered: RecoveredQueue = { events: [], batches: [] };
  failAppends = 0;
  failTakes = 0;

  get size(): number {
    return this.inner.size;
  }
  get bytes(): number {
    return this.inner.bytes;
  }
  peek(): QueuedEvent | undefined {
    return this.inner.peek();
  }
  shift(): QueuedEvent | undefined {
    return this.inner.shift();
  }
  append(entry: QueuedEvent): Promise<void> {
    if (this.failAppends > 0) {
      this.failAppends -= 1;
      return later(() => {
        throw new Error('disk full');
      });
    }
    this.inner.append(entry);
    return later(() => undefined);
  }
  take(limits: TakeLimits): Promise<QueuedEvent[]> {
    if (this.failTakes > 0) {
      this.failTakes -= 1;
      return later(() => {
        throw new Error('store unreachable');
      });
    }
    return later(() => this.inner.take(limits));
  }
  override frozen(batch: StoredBatch): Promise<void> {
    return later(() => void this.journal.push(`frozen ${batch.key} ${batch.entries.length}`));
  }
  override acknowledge(batch: StoredBatch): Promise<void> {
    return later(() => void this.journal.push(`acknowledge ${batch.key}`));
  }
  override release(batch: StoredBatch): Promise<void> {
    return later(() => void this.journal.push(`release ${batch.key}`));
  }
  override recover(): Promise<RecoveredQueue> {
    return later(() => this.recovered);
  }
  override close(): Promise<void> {
    return later(() => void this.journal.push('close'));
  }
}

const keysOf = (journal: string[], verb: string) =>
  journal.filter((line) => line.startsWith(`${verb} `)).map((line) => line.split(' ')[1]!);

describe('the queue store seam', () => {
  it('delivers through a store that answers every operation asynchronously, and tells it each step', async () => {
    const store = new AsyncJournalStore();
    const harness = await startHarness({ maxBatchEvents: 50 }, {}, { queue: store });
    harness.emulator.inject({ kind: 'status', status: 503 }, { times: 1 });
    harness.emulator.inject({ kind: 'reset' }, { times: 1 });
    harness.engine.start();
    for (let i = 0; i < 250; i++) harness.capture({});
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ captured: 250, delivered: 250, pending: 0, queuedEvents: 0 });
    expect(new Set(harness.emulator.events.map((e) => (e.event.data as { seq: number }).seq)).size).toBe(250);

    await eventually(() => keysOf(store.journal, 'acknowledge').length === 5, 'the five acknowledgements');
    const frozen = keysOf(store.journal, 'frozen');
    expect(frozen).toHaveLength(5);
    // Every batch frozen is acknowledged once; the two that failed were released for their retry first.
    expect(keysOf(store.journal, 'acknowledge').sort()).toEqual([...frozen].sort());
    expect(keysOf(store.journal, 'release')).toHaveLength(2);
    await harness.engine.close();
    await eventually(() => store.journal.includes('close'), 'the store to be closed');
  });

  it('resends a recovered batch byte for byte under its stored key, and delivers recovered events', async () => {
    const store = new AsyncJournalStore();
    const left = [1, 2, 3].map((seq) => ({
      event: preparedEvent({ data: { left: seq } }),
      seq,
      enqueuedAt: 0,
    }));
    const events = left.map((entry) => entry.event);
    // The key a previous process froze the batch under, and its bytes: the store's word is final (a key
    // derived again here could differ, e.g. after an upgrade changed how keys are made).
    const stored = { key: `${batchKey(events)}_from_before`, body: batchBody(events), entries: left };
    const queued = { event: preparedEvent({ data: { left: 4 } }), seq: 4, enqueuedAt: 0 };
    store.inner.append(queued);
    store.recovered = { events: [queued], batches: [stored] };

    const harness = await startHarness({}, {}, { queue: store });
    await eventually(() => harness.engine.stats().captured === 4, 'the recovered events to be counted');
    harness.capture({});
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ captured: 5, delivered: 5, pending: 0 });
    const resent = harness.emulator.requests.find((r) => r.idempotencyKey === stored.key);
    expect(resent?.body).toBe(stored.body.toString('utf8'));
    expect(harness.emulator.events.map((e) => (e.event.data as { left?: number } | null)?.left).sort()).toEqual([
      1,
      2,
      3,
      4,
      undefined,
    ]);
  });

  it('counts a recovered backlog the store keeps where it is, and numbers new events after it', async () => {
    const store = new AsyncJournalStore();
    // Events the store holds without listing them (a file store's backlog on disk), numbered up to 40.
    const backlog = [38, 39, 40].map((seq) => ({ event: preparedEvent({ data: { left: seq } }), seq, enqueuedAt: 0 }));
    for (const entry of backlog) store.inner.append(entry);
    store.recovered = { events: [], backlog: { count: 3, lastSeq: 40 }, batches: [] };

    const harness = await startHarness({}, {}, { queue: store });
    await eventually(() => harness.engine.stats().captured === 3, 'the backlog to be counted');
    expect(harness.engine.stats()).toMatchObject({ captured: 3, pending: 3, delivered: 0 });
    harness.capture({});
    expect(store.inner.size).toBe(4);
    expect([...store.inner.entries()].map((entry) => entry.seq)).toEqual([38, 39, 40, 41]);
    expect(await harness.engine.flush()).toBe(true);
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ captured: 4, delivered: 4, pending: 0 });
  });

  it('reports an event the store failed to keep as dropped (store_failed), and retries a failed take', async () => {
    const store = new AsyncJournalStore();
    store.failAppends = 1;
    store.failTakes = 1;
    const harness = await startHarness({}, {}, { queue: store });
    harness.engine.start();
    harness.capture({ name: 'lost_one' });
    harness.capture({});
    harness.capture({});
    await harness.engine.flush();
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ captured: 3, delivered: 2, dropped: 1, pending: 0 });
    expect(harness.outcomes).toContainEqual(
      expect.objectContaining({
        outcome: 'dropped',
        reason: 'store_failed',
        message: expect.stringMatching(/"lost_one".*the event store failed to keep it \(disk full\)/),
      }),
    );
    expect(harness.logger.matching(/The Spotzee event store failed \(take\): store unreachable/)).toHaveLength(1);
  });
});
