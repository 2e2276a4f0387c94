import { batchBody, batchKey } from '../delivery/queue/batch-key.js';
import { EventQueueStore } from '../delivery/queue/event-queue-store.js';
import type { QueuedEvent, QueueStoreHooks, StoredBatch } from '../delivery/queue/event-queue-store.js';
import { MemoryEventQueue } from '../delivery/queue/memory-event-queue.js';

/**
 * What the file and Redis stores share. Events waiting to be batched are held in memory too, since the
 * engine reads `size`, `bytes` and the oldest event on every capture and must get them at once; each
 * store persists behind that. The engine's hooks, handed over by `attach()`, carry what a store
 * reports back (recovered work, duplicates, log lines).
 */
export abstract class DurableEventStore extends EventQueueStore {
  protected readonly queue = new MemoryEventQueue();
  protected hooks: QueueStoreHooks | null = null;

  override get durable(): boolean {
    return true;
  }

  get size(): number {
    return this.queue.size;
  }

  get bytes(): number {
    return this.queue.bytes;
  }

  peek(): QueuedEvent | undefined {
    return this.queue.peek();
  }

  override attach(hooks: QueueStoreHooks): void {
    this.hooks = hooks;
  }
}

/** The batch taken events become: the exact body and `Idempotency-Key` the engine sends, to record first. */
export function batchOf(entries: readonly QueuedEvent[]): StoredBatch {
  const events = entries.map((entry) => entry.event);
  return { key: batchKey(events), body: batchBody(events), entries };
}
