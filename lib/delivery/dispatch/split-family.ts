import type { FrozenBatch } from '../queue/frozen-batch.js';

const MAX_DETAILS = 5;

/**
 * The batches a split descends from one refused batch: they report their rejections here instead of a
 * log line each, and once the last of the root's events has its outcome the family writes one summary
 * line (the README promises never a line per event). Counted in events so a re-keyed or re-split member
 * hands its share over before it leaves.
 */
export class SplitFamily {
  readonly rootKey: string;
  readonly rootSize: number;
  /** Requests the split added (two per split). */
  requests = 0;
  rejected = 0;
  readonly details: string[] = [];
  #open = 0;
  #done = false;

  constructor(
    root: FrozenBatch,
    private readonly onDone: (family: SplitFamily) => void,
  ) {
    this.rootKey = root.key;
    this.rootSize = root.size;
    root.family = this;
    this.#open = root.size;
  }

  /** A batch joins with events a leaving member hands over; call before that member leaves. */
  enter(batch: FrozenBatch): void {
    batch.family = this;
    this.#open += batch.size;
  }

  /** A member's events all have their outcome (or moved to members that entered first). */
  leave(batch: FrozenBatch): void {
    this.#open -= batch.size;
    if (this.#open <= 0 && !this.#done) {
      this.#done = true;
      this.onDone(this);
    }
  }

  noteRejected(count: number, detail: string): void {
    this.rejected += count;
    if (this.details.length < MAX_DETAILS) this.details.push(detail);
  }
}
