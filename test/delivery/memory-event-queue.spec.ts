import { describe, expect, it } from '@jest/globals';
import { MemoryEventQueue } from '../../lib/delivery/memory-event-queue.js';
import { preparedEvent as prepared } from './support/prepared-event.js';

describe('MemoryEventQueue', () => {
  it('is FIFO and tracks bytes across compaction', () => {
    const queue = new MemoryEventQueue();
    const event = prepared();
    for (let seq = 1; seq <= 5000; seq++) queue.push({ event, seq, enqueuedAt: 0 });
    expect(queue.bytes).toBe(5000 * event.bytes);
    for (let seq = 1; seq <= 4000; seq++) expect(queue.shift()!.seq).toBe(seq);
    queue.push({ event, seq: 5001, enqueuedAt: 0 });
    expect(queue.size).toBe(1001);
    expect(queue.peek()!.seq).toBe(4001);
    expect(queue.bytes).toBe(1001 * event.bytes);
    while (queue.shift() !== undefined);
    expect(queue.size).toBe(0);
    expect(queue.bytes).toBe(0);
  });
});
