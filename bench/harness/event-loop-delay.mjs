// Event-loop delay per phase: a timer armed every RESOLUTION_MS records how late each tick fires, the
// same measurement `perf_hooks.monitorEventLoopDelay` makes. Done by hand because that histogram
// records tick-to-tick intervals (an idle loop reads ~10 ms, not ~0) and, once disabled and re-enabled,
// counts the whole pause as one delay: here a forced GC at a checkpoint can be left out cleanly.
import { createHistogram } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

export function startDelayMonitor() {
  const histogram = createHistogram();
  let paused = false;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    // In microseconds; the histogram only takes integers ≥ 1.
    if (!paused) histogram.record(Math.max(1, Math.round((now - last - RESOLUTION_MS) * 1000)));
    last = now;
  }, RESOLUTION_MS);
  const ms = (us) => (us <= 1 ? 0 : us / 1000);
  return {
    pause() {
      paused = true;
    },
    resume() {
      last = performance.now();
      paused = false;
    },
    /** Stops and summarises; a phase without a single tick had its loop blocked throughout. */
    stop() {
      clearInterval(timer);
      if (histogram.count === 0) return { p50Ms: null, p99Ms: null, maxMs: null, samples: 0 };
      return {
        p50Ms: ms(histogram.percentile(50)),
        p99Ms: ms(histogram.percentile(99)),
        maxMs: ms(histogram.max),
        samples: histogram.count,
      };
    },
  };
}
