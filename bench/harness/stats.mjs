// Small, dependency-free statistics: every table in the report is a median with its min–max, so the
// numbers survive a noisy shared machine better than means would.

/** Median, min and max of a list of numbers (empty lists give nulls, so a failed run stays visible). */
export function summarize(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: null, min: null, max: null, n: 0, values };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length, values };
}

/** Nearest-rank percentile of raw samples. */
export function percentile(samples, p) {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Ratio of two medians; null when either side is missing so a ratio is never invented. */
export function ratio(numerator, denominator) {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator === 0) return null;
  return numerator / denominator;
}

/**
 * Rotations of the contender list, one per round (A B C, B C A, C A B, …), so every contender runs
 * first, middle and last equally often and slow drift of the machine cancels out in the medians.
 */
export function interleave(contenders, rounds) {
  const orders = [];
  for (let round = 0; round < rounds; round++) {
    const shift = round % contenders.length;
    orders.push([...contenders.slice(shift), ...contenders.slice(0, shift)]);
  }
  return orders;
}
