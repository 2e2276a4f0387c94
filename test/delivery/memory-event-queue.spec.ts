import { describe, expect, it } from '@jest/globals';
import { MemoryEventQueue } from '../../lib/delivery/queue/memory-event-queue.js';
import { preparedEvent as prepared } from './support/prepared-event.js';

describe('MemoryEventQueue', () => {
  it('is FIFO and tracks bytes across compaction', () => {
    const queue = new MemoryEventQueue();
    const event = prepared();
    for (let seq = 1; seq <= 5000; seq++) queue.append({ event, seq, enqueuedAt: 0 });
    expect(queue.bytes).toBe(5000 * event.bytes);
    for (let seq = 1; seq <= 4000; seq++) expect(queue.shift()!.seq).toBe(seq);
    queue.append({ event, seq: 5001, enqueuedAt: 0 });
    expect(queue.size).toBe(1001);
    expect(queue.peek()!.seq).toBe(4001);
    expect(queue.bytes).toBe(1001 * event.bytes);
    while (queue.shift() !== undefined);
    expect(queue.size).toBe(0);
    expect(queue.bytes).toBe(0);
  });

  it('takes the oldest events within the event cap and the body-byte cap, at least one', () => {
    const queue = new MemoryEventQueue();
    const event = prepared();
    for (let seq = 1; seq <= 10; seq++) queue.append({ event, seq, enqueuedAt: 0 });
    expect(queue.take({ maxEvents: 3, maxBytes: 1 << 20 }).map((e) => e.seq)).toEqual([1, 2, 3]);
    // A body is "[" + events joined by "," + "]": two events need 2 * bytes + 3.
    expect(queue.take({ maxEvents: 100, maxBytes: 2 * event.bytes + 3 }).map((e) => e.seq)).toEqual([4, 5]);
    // One byte less and the second event no longer fits.
    expect(queue.take({ maxEvents: 100, maxBytes: 2 * event.bytes + 2 }).map((e) => e.seq)).toEqual([6]);
    // One event always fits, whatever the cap: the engine bounds event size at capture.
    expect(queue.take({ maxEvents: 100, maxBytes: 1 }).map((e) => e.seq)).toEqual([7]);
    expect(queue.size).toBe(3);
    expect(queue.bytes).toBe(3 * event.bytes);
    expect(queue.take({ maxEvents: 100, maxBytes: 1 << 20 })).toHaveLength(3);
    expect(queue.take({ maxEvents: 100, maxBytes: 1 << 20 })).toEqual([]);
  });

  it('answers every store operation synchronously, with nothing to recover', () => {
    const queue = new MemoryEventQueue();
    const entry = { event: prepared(), seq: 1, enqueuedAt: 0 };
    expect(queue.append(entry)).toBeUndefined();
    const [taken] = queue.take({ maxEvents: 1, maxBytes: 1 << 20 });
    const batch = { key: 'spz_k', body: Buffer.from('[]'), entries: [taken!] };
    expect(queue.frozen(batch)).toBeUndefined();
    expect(queue.release(batch)).toBeUndefined();
    expect(queue.acknowledge(batch)).toBeUndefined();
    expect(queue.recover()).toEqual({ events: [], batches: [] });
    expect(queue.close()).toBeUndefined();
  });
});
