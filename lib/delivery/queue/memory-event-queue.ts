import { bodyBytes } from './batch-key.js';
import { EventQueueStore } from './event-queue-store.js';
import type { QueuedEvent, TakeLimits } from './event-queue-store.js';

/**
 * The default store: an array with a moving head, compacted now and then, so taking from the front is
 * O(1). Everything answers synchronously; frozen batches live in the engine, so `frozen`,
 * `acknowledge` and `release` have nothing to do, and nothing survives the process to `recover`.
 */
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

  append(entry: QueuedEvent): void {
    this.#items.push(entry);
    this.#bytes += entry.event.bytes;
  }

  /** The queued events, oldest first: what a durable store writes again when its copy was lost. */
  *entries(): IterableIterator<QueuedEvent> {
    for (let index = this.#head; index < this.#items.length; index++) yield this.#items[index]!;
  }

  peek(): QueuedEvent | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }

  take(limits: TakeLimits): QueuedEvent[] {
    const entries: QueuedEvent[] = [];
    let bytes = 0;
    for (let next = this.peek(); next !== undefined; next = this.peek()) {
      if (entries.length >= limits.maxEvents) break;
      if (entries.length > 0 && bodyBytes(entries.length + 1, bytes + next.event.bytes) > limits.maxBytes) break;
      entries.push(this.shift()!);
      bytes += next.event.bytes;
    }
    return entries;
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
