import type { RecordLocation } from './log-recovery.js';
import { QueuedLocations } from './queued-locations.js';

const INITIAL_CAPACITY = 1024;

/** The queued events a replay found live, as the running log keeps them: locations only. */
export interface ReplayedQueue {
  /** Where each live queued event's record is, in the order the events were captured. */
  locations: QueuedLocations;
  /** Sum of their JSON's byte lengths (the engine bounds the queue by it). */
  bytes: number;
  /** The highest capture sequence number among them (0 when none). */
  lastSeq: number;
}

/**
 * The event records met while replaying the log, without the events themselves: where each record
 * is, its capture sequence number and its JSON's byte length, in typed arrays. A backlog of a million
 * events left on disk by a crash is then never on the heap at once; the store reads the events back as
 * the queue drains down to them, as it does while running. The one thing held per live event is the
 * index from its id to its slot, because the records that end an event (a batch, a done record) and a
 * copy carried forward by compaction name it by id; the index is dropped when the replay ends.
 */
export class ReplayedEvents {
  readonly #slots = new Map<string, number>();
  #segment = new Uint32Array(INITIAL_CAPACITY);
  #offset = new Float64Array(INITIAL_CAPACITY);
  #length = new Uint32Array(INITIAL_CAPACITY);
  #seq = new Float64Array(INITIAL_CAPACITY);
  #bytes = new Uint32Array(INITIAL_CAPACITY);
  #used = 0;

  /** An event's record. A later copy of the same event (compaction carried it forward) moves it. */
  record(id: string, seq: number, bytes: number, at: RecordLocation): void {
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      if (this.#used === this.#segment.length) this.#grow();
      slot = this.#used++;
      this.#slots.set(id, slot);
      this.#seq[slot] = seq;
      this.#bytes[slot] = bytes;
    }
    this.#segment[slot] = at.segment;
    this.#offset[slot] = at.offset;
    this.#length[slot] = at.length;
  }

  /** The event left the queue (batched, or done without a batch): its record is dead. */
  remove(id: string): void {
    this.#slots.delete(id);
  }

  /**
   * The live events in the order they were captured. The log is mostly in that order already; a
   * record copied forward by compaction is not (its older copy may be gone with its segment), so the
   * capture sequence number decides: within the live events it is unique, since a restarted process
   * numbers its captures after everything it recovered.
   */
  inCaptureOrder(): ReplayedQueue {
    const live = Uint32Array.from(this.#slots.values());
    const seq = this.#seq;
    let sorted = true;
    for (let i = 1; i < live.length && sorted; i++) sorted = seq[live[i - 1]!]! <= seq[live[i]!]!;
    if (!sorted) live.sort((a, b) => seq[a]! - seq[b]! || a - b);
    const locations = new QueuedLocations();
    let bytes = 0;
    let lastSeq = 0;
    for (const slot of live) {
      locations.push(
        { segment: this.#segment[slot]!, offset: this.#offset[slot]!, length: this.#length[slot]! },
        seq[slot]!,
      );
      bytes += this.#bytes[slot]!;
      if (seq[slot]! > lastSeq) lastSeq = seq[slot]!;
    }
    return { locations, bytes, lastSeq };
  }

  #grow(): void {
    const capacity = this.#segment.length * 2;
    const grown = <T extends Uint32Array | Float64Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.#segment = grown(this.#segment, new Uint32Array(capacity));
    this.#offset = grown(this.#offset, new Float64Array(capacity));
    this.#length = grown(this.#length, new Uint32Array(capacity));
    this.#seq = grown(this.#seq, new Float64Array(capacity));
    this.#bytes = grown(this.#bytes, new Uint32Array(capacity));
  }
}
