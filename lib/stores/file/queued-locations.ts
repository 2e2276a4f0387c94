import type { RecordLocation } from './log-recovery.js';

const INITIAL_CAPACITY = 1024;

/**
 * Where each queued event's record sits in the log, oldest first, in typed arrays: 24 bytes per event
 * and no object or string per event, so a backlog of a million events held on disk costs the heap
 * about 24 MB rather than the events themselves. Queued events leave in the order they were
 * captured (a batch takes the oldest, an overflow drops the oldest), so a ring buffer is enough; the
 * capture sequence number tells a batch of queued events from one re-recorded later.
 */
export class QueuedLocations {
  #segment = new Uint32Array(INITIAL_CAPACITY);
  #offset = new Float64Array(INITIAL_CAPACITY);
  #length = new Uint32Array(INITIAL_CAPACITY);
  #seq = new Float64Array(INITIAL_CAPACITY);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(at: RecordLocation, seq: number): void {
    if (this.#size === this.#segment.length) this.#grow();
    const slot = (this.#head + this.#size) % this.#segment.length;
    this.#write(slot, at);
    this.#seq[slot] = seq;
    this.#size += 1;
  }

  /** The capture sequence number of the `index`-th oldest (0 = the oldest). */
  seqAt(index: number): number {
    return this.#seq[this.#slot(index)]!;
  }

  /** Removes the oldest and returns where its record was. */
  shift(): RecordLocation | undefined {
    if (this.#size === 0) return undefined;
    const at = this.at(0);
    this.#head = (this.#head + 1) % this.#segment.length;
    this.#size -= 1;
    if (this.#size === 0) this.#head = 0;
    // A drained backlog gives its memory back.
    const capacity = this.#segment.length;
    if (capacity > INITIAL_CAPACITY && this.#size * 4 < capacity) this.#resize(capacity / 2);
    return at;
  }

  /** The location of the `index`-th oldest (0 = the oldest). */
  at(index: number): RecordLocation {
    const slot = this.#slot(index);
    return { segment: this.#segment[slot]!, offset: this.#offset[slot]!, length: this.#length[slot]! };
  }

  /** The record of the `index`-th oldest moved (compaction copied it forward). */
  move(index: number, at: RecordLocation): void {
    this.#write(this.#slot(index), at);
  }

  /** Positions (0 = the oldest) of the events whose record is in `segment`. */
  indexesIn(segment: number): number[] {
    const found: number[] = [];
    for (let index = 0; index < this.#size; index++) {
      if (this.#segment[this.#slot(index)] === segment) found.push(index);
    }
    return found;
  }

  #slot(index: number): number {
    if (index < 0 || index >= this.#size) throw new RangeError(`no queued event at ${index} (${this.#size} queued)`);
    return (this.#head + index) % this.#segment.length;
  }

  #write(slot: number, at: RecordLocation): void {
    this.#segment[slot] = at.segment;
    this.#offset[slot] = at.offset;
    this.#length[slot] = at.length;
  }

  #grow(): void {
    this.#resize(this.#segment.length * 2);
  }

  #resize(capacity: number): void {
    const order = (from: Uint32Array | Float64Array, to: Uint32Array | Float64Array): void => {
      for (let index = 0; index < this.#size; index++) to[index] = from[(this.#head + index) % from.length]!;
    };
    const segment = new Uint32Array(capacity);
    const offset = new Float64Array(capacity);
    const length = new Uint32Array(capacity);
    const seq = new Float64Array(capacity);
    order(this.#segment, segment);
    order(this.#offset, offset);
    order(this.#length, length);
    order(this.#seq, seq);
    this.#segment = segment;
    this.#offset = offset;
    this.#length = length;
    this.#seq = seq;
    this.#head = 0;
  }
}
