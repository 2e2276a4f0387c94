// Every knob of the run, from the environment (documented in BENCHMARKS.md). Defaults are the full
// benchmark; smoke runs shrink them.

function number(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return value;
}

export const SECTIONS = ['capture', 'throughput', 'overhead', 'outage'];

export function readConfig(argv = process.argv.slice(2)) {
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
      seconds: number('BENCH_OVERHEAD_SECONDS', 4),
      warmupSeconds: number('BENCH_OVERHEAD_WARMUP_SECONDS', 3),
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
  };
  // The queue fills 40% into the outage, leaving the rest of it to show whether memory stays flat.
  config.outage.queueLimit = Math.round(config.outage.rate * config.outage.seconds * 0.4);
  // Only a run with the documented shape may overwrite the numbers in BENCHMARKS.md.
  config.isFullRun = config.sections.length === SECTIONS.length && config.rounds >= 5 && config.outage.seconds >= 60;
  config.writeMarkdown = config.isFullRun || process.env.BENCH_WRITE_MD === '1';
  return config;
}
