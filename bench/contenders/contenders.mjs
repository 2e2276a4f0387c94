// The contenders by name. Each adapter is imported lazily so a child process only loads the library it
// measures (loading all three would share a heap and skew memory numbers).
export const ALL_CONTENDERS = ['spotzee', 'segment', 'posthog'];

/** `BENCH_CONTENDERS=segment,posthog` narrows a run (ratios that need a missing side are left empty). */
export const CONTENDERS = (() => {
  const only = (process.env.BENCH_CONTENDERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((name) => !ALL_CONTENDERS.includes(name));
  if (unknown.length) throw new Error(`BENCH_CONTENDERS: unknown contender(s) ${unknown.join(', ')}`);
  return only.length ? ALL_CONTENDERS.filter((name) => only.includes(name)) : ALL_CONTENDERS;
})();

export const LABELS = {
  spotzee: 'nestjs-spotzee',
  segment: '@segment/analytics-node',
  posthog: 'posthog-node',
};

/** The documented option that bounds each library's in-memory queue (Segment has none). */
export const QUEUE_LIMIT_OPTION = {
  spotzee: 'maxQueueEvents',
  segment: null,
  posthog: 'maxQueueSize',
};

export async function createContender(name, options) {
  switch (name) {
    case 'spotzee':
      return (await import('./spotzee.contender.mjs')).createSpotzee(options);
    case 'segment':
      return (await import('./segment.contender.mjs')).createSegment(options);
    case 'posthog':
      return (await import('./posthog.contender.mjs')).createPostHog(options);
    default:
      throw new Error(`unknown contender '${name}'`);
  }
}
