import { DeliveryMessages as M } from '../delivery.messages.js';
import type { DropReason } from './outcomes.js';

const MAX_NAMES = 5;

/**
 * Folds drops into one line per burst: the first drop opens a window, and when it closes a single
 * line says how many went, why, and a few event names.
 */
export class DropLog {
  #counts = new Map<DropReason, number>();
  #names = new Set<string>();
  #total = 0;

  add(reason: DropReason, name: string): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
    if (this.#names.size < MAX_NAMES) this.#names.add(name);
    this.#total += 1;
  }

  /** The summary line, and resets; null when nothing was dropped. */
  take(describeReason: (reason: DropReason) => string): string | null {
    if (this.#total === 0) return null;
    const parts = [...this.#counts].map(([reason, count]) => M.droppedReason(reason, count, describeReason(reason)));
    const line = M.droppedSummary(this.#total, parts, [...this.#names]);
    this.#counts = new Map();
    this.#names = new Set();
    this.#total = 0;
    return line;
  }
}
