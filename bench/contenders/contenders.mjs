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
  'spotzee-file': 'nestjs-spotzee, `FileEventStore`',
  'spotzee-redis': 'nestjs-spotzee, `RedisEventStore`',
  segment: '@segment/analytics-node',
  posthog: 'posthog-node',
};

/**
 * nestjs-spotzee with a durable store, as separate contenders: `spotzee` itself runs the default
 * memory store. `BENCH_STORES=file,redis` (the default) picks the ones measured next to it.
 */
export const ALL_STORES = ['file', 'redis'];

export const STORES = (() => {
  const raw = process.env.BENCH_STORES ?? '';
  if (raw.trim() === 'none') return [];
  const only = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((name) => !ALL_STORES.includes(name));
  if (unknown.length) {
    throw new Error(`BENCH_STORES: unknown store(s) ${unknown.join(', ')} (${ALL_STORES.join(', ')}, or none)`);
  }
  return only.length ? ALL_STORES.filter((name) => only.includes(name)) : ALL_STORES;
})();

/** The store a contender runs: `memory` for every library's default, else the durable one. */
export function storeOf(name) {
  return name.startsWith('spotzee-') ? name.slice('spotzee-'.length) : 'memory';
}

/** The contenders with nestjs-spotzee's store variants right after it (when nestjs-spotzee is measured). */
export function withStoreVariants(contenders) {
  return contenders.flatMap((name) => (name === 'spotzee' ? [name, ...STORES.map((s) => `spotzee-${s}`)] : [name]));
}

/** The sink counts by endpoint, so every nestjs-spotzee variant is counted as `spotzee`. */
export function sinkLib(name) {
  return name.startsWith('spotzee') ? 'spotzee' : name;
}

/** The documented option that bounds each library's in-memory queue (Segment has none). */
export const QUEUE_LIMIT_OPTION = {
  spotzee: 'maxQueueEvents',
  'spotzee-file': 'maxQueueEvents',
  'spotzee-redis': 'maxQueueEvents',
  segment: null,
  posthog: 'maxQueueSize',
};

export async function createContender(name, options) {
  switch (name) {
    case 'spotzee':
    case 'spotzee-file':
    case 'spotzee-redis':
      return (await import('./spotzee.contender.mjs')).createSpotzee({ ...options, store: storeOf(name) });
    case 'segment':
      return (await import('./segment.contender.mjs')).createSegment(options);
    case 'posthog':
      return (await import('./posthog.contender.mjs')).createPostHog(options);
    default:
      throw new Error(`unknown contender '${name}'`);
  }
}
