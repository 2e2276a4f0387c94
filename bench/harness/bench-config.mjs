// Every knob of the run, from the environment (documented in BENCHMARKS.md). Defaults are the full
// benchmark; quick mode (`BENCH_QUICK=1` or `--quick`) swaps in shorter ones so one section runs in a
// minute or two while developing, and any variable set explicitly still wins.

/** The quick-mode defaults, by variable. A quick run never rewrites BENCHMARKS.md. */
const QUICK = {
  BENCH_ROUNDS: 2,
  BENCH_CAPTURE_CHUNKS: 5,
  BENCH_THROUGHPUT_EVENTS: 10_000,
  BENCH_OVERHEAD_SECONDS: 2,
  BENCH_OVERHEAD_WARMUP_SECONDS: 1,
  BENCH_OUTAGE_SECONDS: 10,
  BENCH_OUTAGE_STEADY_SECONDS: 3,
  BENCH_OUTAGE_RECOVERY_SECONDS: 5,
  BENCH_OUTAGE_DEADLINE_MS: 5_000,
  BENCH_GOODPUT_SECONDS: 6,
  BENCH_GOODPUT_DRAIN_CAP_SECONDS: 60,
};

let quick = false;

function number(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return quick && name in QUICK ? QUICK[name] : fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return value;
}

export const SECTIONS = ['capture', 'throughput', 'overhead', 'outage', 'goodput'];

/** `BENCH_GOODPUT_FAULTS=0.2`: the share of requests that fail, split across the kinds as below. */
function faultPlan(share) {
  if (share >= 1) throw new Error(`BENCH_GOODPUT_FAULTS must be below 1, got ${share}`);
  // Of 20%: 9% 5xx, 5% resets, 5% lost answers, 1% slower than the request timeout.
  return { error: share * 0.45, reset: share * 0.25, lost: share * 0.25, slow: share * 0.05 };
}

export function readConfig(argv = process.argv.slice(2)) {
  quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const only = (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const section of only) {
    if (!SECTIONS.includes(section)) {
      throw new Error(`BENCH_ONLY: unknown section '${section}' (${SECTIONS.join(', ')})`);
    }
  }
  const config = {
    sections: only.length ? SECTIONS.filter((s) => only.includes(s)) : SECTIONS,
    rounds: Math.round(number('BENCH_ROUNDS', 5)),
    profile: argv.includes('--profile') || process.env.BENCH_PROFILE === '1',
    capture: {
      chunk: Math.round(number('BENCH_CAPTURE_CHUNK', 1000)),
      warmupChunks: Math.round(number('BENCH_CAPTURE_WARMUP_CHUNKS', 5)),
      chunks: Math.round(number('BENCH_CAPTURE_CHUNKS', 15)),
    },
    throughput: {
      events: Math.round(number('BENCH_THROUGHPUT_EVENTS', 30_000)),
      warmupEvents: Math.round(number('BENCH_THROUGHPUT_WARMUP_EVENTS', 5_000)),
      batchSize: 100,
    },
    overhead: {
      seconds: number('BENCH_OVERHEAD_SECONDS', 3),
      warmupSeconds: number('BENCH_OVERHEAD_WARMUP_SECONDS', 3),
      pairWarmupSeconds: number('BENCH_OVERHEAD_PAIR_WARMUP_SECONDS', 5),
      connections: Math.round(number('BENCH_OVERHEAD_CONNECTIONS', 32)),
    },
    outage: {
      seconds: number('BENCH_OUTAGE_SECONDS', 60),
      steadySeconds: number('BENCH_OUTAGE_STEADY_SECONDS', 10),
      recoverySeconds: number('BENCH_OUTAGE_RECOVERY_SECONDS', 15),
      rate: Math.round(number('BENCH_OUTAGE_RATE', 2000)),
      deadlineMs: Math.round(number('BENCH_OUTAGE_DEADLINE_MS', 20_000)),
      staggerSeconds: number('BENCH_OUTAGE_STAGGER_SECONDS', 3),
    },
    goodput: {
      rate: Math.round(number('BENCH_GOODPUT_RATE', 5000)),
      seconds: number('BENCH_GOODPUT_SECONDS', 20),
      faultShare: number('BENCH_GOODPUT_FAULTS', 0.2),
      // Every library's default request timeout is 10 s: a slow answer comes one second after it.
      slowMs: Math.round(number('BENCH_GOODPUT_SLOW_MS', 11_000)),
      drainCapSeconds: number('BENCH_GOODPUT_DRAIN_CAP_SECONDS', 120),
      deadlineMs: Math.round(number('BENCH_GOODPUT_DEADLINE_MS', 10_000)),
    },
  };
  config.quick = quick;
  config.goodput.faults = faultPlan(config.goodput.faultShare);
  // The queue fills 40% into the outage, leaving the rest of it to show whether memory stays flat.
  config.outage.queueLimit = Math.round(config.outage.rate * config.outage.seconds * 0.4);
  // The file store's variant is bounded by the disk instead, as a user holding long outages on disk
  // would set it: a million events (or the whole run, if more) and 1 GiB, far above what the run captures.
  const { rate, steadySeconds, seconds, recoverySeconds } = config.outage;
  config.outage.diskQueueLimit = Math.max(1_000_000, Math.ceil(rate * (steadySeconds + seconds + recoverySeconds)));
  config.outage.diskQueueBytes = 1024 * 1024 * 1024;
  // Only a run with the documented shape may overwrite the numbers in BENCHMARKS.md.
  config.isFullRun =
    !quick &&
    config.sections.length === SECTIONS.length &&
    config.rounds >= 5 &&
    config.outage.seconds >= 60 &&
    config.goodput.seconds >= 20;
  config.writeMarkdown = config.isFullRun || process.env.BENCH_WRITE_MD === '1';
  return config;
}
