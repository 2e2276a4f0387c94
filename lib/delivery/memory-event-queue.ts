import { EventQueueStore } from './event-queue-store.js';
import type { QueuedEvent } from './event-queue-store.js';

/** The default store: an array with a moving head, compacted now and then, so shift() is O(1). */
export class MemoryEventQueue extends EventQueueStore {
  #items: (QueuedEvent | undefined)[] = [];
  #head = 0;
  #bytes = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  push(entry: QueuedEvent): void {
    this.#items.push(entry);
    this.#bytes += entry.event.bytes;
  }

  peek(): QueuedEvent | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  shift(): QueuedEvent | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const entry = this.#items[this.#head]!;
    this.#items[this.#head] = undefined;
    this.#head += 1;
    this.#bytes -= entry.event.bytes;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return entry;
  }
}
