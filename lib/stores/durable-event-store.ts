import { EventQueueStore } from '../delivery/queue/event-queue-store.js';
import type { QueuedEvent, QueueStoreHooks } from '../delivery/queue/event-queue-store.js';
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
