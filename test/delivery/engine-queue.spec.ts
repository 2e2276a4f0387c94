import { describe, expect, it } from '@jest/globals';
import type { DroppedOutcome } from '../../lib/delivery/index.js';
import { eventually } from '../support/eventually.js';
import { expectInvariant, startHarness, stopHarnessesAfterEach } from './support/engine-harness.js';
import type { Harness } from './support/engine-harness.js';

stopHarnessesAfterEach();

function drops(h: Harness): DroppedOutcome[] {
  return h.outcomes.filter((o): o is DroppedOutcome => o.outcome === 'dropped');
}

const seqOf = (data: unknown) => (data as { i: number }).i;

describe('bounded queue', () => {
  it('drop-newest: the new events go, each reported, one aggregated log line per burst', async () => {
    const harness = await startHarness({ maxQueueEvents: 5, overflow: 'drop-newest' });
    for (let i = 0; i < 8; i++) harness.capture({ data: { i } });
    expect(harness.engine.stats()).toMatchObject({ captured: 8, pending: 5, dropped: 3 });
    expect(drops(harness).map((d) => [d.reason, d.event.name])).toEqual([
      ['queue_full', 'order_placed'],
      ['queue_full', 'order_placed'],
      ['queue_full', 'order_placed'],
    ]);
    expect(drops(harness)[0]!.message).toMatch(/not queued: the queue is full \(overflow policy drop-newest\)/);
    await eventually(() => harness.logger.matching(/^Spotzee dropped/).length > 0, 'the aggregated drop line');
    expect(harness.logger.matching(/^Spotzee dropped/)).toEqual([
      'Spotzee dropped 3 events: 3 queue_full (queue limit 5 events / 67108864 bytes, overflow drop-newest). Events included "order_placed".',
    ]);
    await harness.engine.flush();
    expect(harness.emulator.events.map((e) => seqOf(e.event.data))).toEqual([0, 1, 2, 3, 4]);
  });

  it('drop-oldest: the oldest queued events go', async () => {
    const harness = await startHarness({ maxQueueEvents: 5, overflow: 'drop-oldest' });
    for (let i = 0; i < 8; i++) harness.capture({ data: { i } });
    expect(harness.engine.stats()).toMatchObject({ pending: 5, dropped: 3 });
    expect(drops(harness).every((d) => /dropped to make room for newer events/.test(d.message))).toBe(true);
    await harness.engine.flush();
    expect(harness.emulator.events.map((e) => seqOf(e.event.data))).toEqual([3, 4, 5, 6, 7]);
  });

  it('bounds bytes as well as events', async () => {
    const harness = await startHarness({ maxQueueBytes: 1000, maxEventBytes: 400 });
    for (let i = 0; i < 6; i++) harness.capture({ data: { i, pad: 'x'.repeat(200) } });
    const stats = harness.engine.stats();
    expect(stats.queuedBytes).toBeLessThanOrEqual(1000);
    expect(stats.pending).toBe(3);
    expect(stats.dropped).toBe(3);
  });

  it('drop-oldest never touches a frozen, in-flight batch', async () => {
    const harness = await startHarness(
      { maxQueueEvents: 4, overflow: 'drop-oldest', maxBatchEvents: 2, maxInFlight: 1 },
      { processingDelayMs: 300 },
    );
    const { engine, emulator } = harness;
    engine.start();
    harness.capture({ data: { i: 0 } });
    harness.capture({ data: { i: 1 } });
    await eventually(() => engine.stats().inFlightRequests === 1, 'the first batch in flight');
    for (let i = 2; i < 6; i++) harness.capture({ data: { i } });
    expect(drops(harness).map((d) => d.event.createdAt).length).toBe(2);
    await engine.flush();
    expect(emulator.events.map((e) => seqOf(e.event.data)).sort()).toEqual([0, 1, 4, 5]);
  });
});

describe('dedupe window', () => {
  it('settles an explicit idempotency key seen within the window as deduplicated (not dropped), sends it again after', async () => {
    const harness = await startHarness({ dedupeWindowMs: 300 });
    harness.capture({ idempotencyKey: 'order_placed:ord_1', data: { i: 1 } });
    harness.capture({ idempotencyKey: 'order_placed:ord_1', data: { i: 2 } });
    harness.capture({ idempotencyKey: 'order_placed:ord_2', data: { i: 3 } });
    harness.capture({ data: { i: 4 } });
    harness.capture({ data: { i: 5 } });
    expect(harness.engine.stats()).toMatchObject({ captured: 5, deduplicated: 1, dropped: 0, pending: 4 });
    expect(drops(harness)).toEqual([]);
    expect(harness.outcomes.filter((o) => o.outcome === 'deduplicated')).toEqual([
      expect.objectContaining({
        idempotencyKey: 'order_placed:ord_1',
        message: expect.stringMatching(
          /idempotencyKey "order_placed:ord_1" was already captured within the dedupe window/,
        ),
      }),
    ]);
    await harness.engine.flush();
    expect(harness.emulator.events.map((e) => seqOf(e.event.data))).toEqual([1, 3, 4, 5]);
    // Duplicates are expected behaviour: a debug line, never a warning or a drop line.
    await eventually(
      () => harness.logger.messages('debug').some((line) => /^Spotzee deduplicated 1 event \(/.test(line)),
      'the dedupe line',
    );
    expect(harness.logger.messages('warn')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 350));
    harness.capture({ idempotencyKey: 'order_placed:ord_1', data: { i: 6 } });
    await harness.engine.flush();
    expect(harness.emulator.events.map((e) => seqOf(e.event.data))).toEqual([1, 3, 4, 5, 6]);
  });

  it('forgets the key of a dropped event, so a later capture is not a duplicate', async () => {
    const harness = await startHarness({ maxQueueEvents: 1 });
    harness.capture({ data: { i: 0 } });
    harness.capture({ idempotencyKey: 'k1', data: { i: 1 } });
    await harness.engine.flush();
    harness.capture({ idempotencyKey: 'k1', data: { i: 2 } });
    await harness.engine.flush();
    expect(drops(harness).map((d) => d.reason)).toEqual(['queue_full']);
    expect(harness.emulator.events.map((e) => seqOf(e.event.data))).toEqual([0, 2]);
  });
});

describe('capture-time rejections', () => {
  it('are counted and emitted per event but logged once per (reason, name, source)', async () => {
    const harness = await startHarness();
    for (let i = 0; i < 50; i++) {
      harness.engine.capture({ name: 'order_placed', source: 'POST /orders', data: [] as never, externalId: 'u' });
    }
    for (let i = 0; i < 50; i++) {
      harness.engine.capture({ name: 'order_placed', source: 'OrdersService', data: [] as never, externalId: 'u' });
    }
    const result = harness.engine.prepare({ name: '', externalId: 'u' });
    expect(result.ok).toBe(false);
    expectInvariant(harness.engine);
    expect(harness.engine.stats()).toMatchObject({ captured: 101, rejected: 101, pending: 0 });
    expect(harness.outcomes).toHaveLength(101);
    expect(harness.logger.messages('warn')).toEqual([
      'Spotzee event "order_placed" from POST /orders rejected: data must be a plain object, got an array. Wrap it, e.g. { items: [...] } or { at: date.toISOString() }.',
      'Spotzee event "order_placed" from OrdersService rejected: data must be a plain object, got an array. Wrap it, e.g. { items: [...] } or { at: date.toISOString() }.',
      'Spotzee event "" rejected: the name is empty. Use a snake_case verb such as "order_placed".',
    ]);
  });

  it('a throwing or rejecting listener never breaks the engine', async () => {
    const harness = await startHarness();
    harness.engine.on('captured', () => {
      throw new Error('listener bug');
    });
    harness.engine.on('delivered', async () => {
      throw new Error('async listener bug');
    });
    const unsubscribe = harness.engine.on('delivered', () => {
      throw new Error('removed');
    });
    unsubscribe();
    harness.capture({});
    harness.capture({});
    await harness.engine.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(harness.engine.stats()).toMatchObject({ delivered: 2 });
    expect(harness.logger.messages('error')).toEqual([
      expect.stringMatching(/^A Spotzee 'captured' listener threw: listener bug\./),
      expect.stringMatching(/^A Spotzee 'delivered' listener threw: async listener bug\./),
    ]);
  });
});
