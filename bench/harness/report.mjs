// Renders a run's results as Markdown: printed as the summary at the end of `npm run bench` and, on
// full runs, written between the markers in BENCHMARKS.md.
import { LABELS } from '../contenders/contenders.mjs';

const int = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const dec = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const times = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a');
const range = (s, f = int) => (s && s.n ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : 'n/a');
const verdict = (pass) => (pass === true ? '**pass**' : pass === false ? '**miss**' : 'not measured');

/** nestjs-spotzee's durable stores against its memory store, per round (empty when none was measured). */
function storeRatioLines(ratios, what, fileKey, redisKey) {
  const parts = [
    ['`FileEventStore`', ratios[fileKey]],
    ['`RedisEventStore`', ratios[redisKey]],
  ].filter(([, r]) => r?.n);
  if (parts.length === 0) return [];
  return [
    '',
    `Stores against the memory store, ${what} (per round): ` +
      parts.map(([label, r]) => `${label} / memory ${range(r, times)}`).join('; ') +
      '.',
  ];
}

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(run) {
  const { machine, config, results, targets } = run;
  const out = [];
  const pkgs = Object.entries(machine.packages)
    .map(([name, v]) => `${name} ${v ?? 'n/a'}`)
    .join(', ');
  out.push(
    `Run of ${run.startedAt.slice(0, 16).replace('T', ' ')} UTC, nestjs-spotzee ${machine.library.version} at commit ` +
      `\`${machine.library.commit ?? 'unknown'}\`${machine.library.source === 'worktree' ? ' plus uncommitted changes' : ''}, ${config.rounds} rounds per comparison, ${Math.round(run.durationSeconds)} s in total.`,
    '',
    `- Machine: ${machine.cpus} × ${machine.cpuModel} (nproc ${machine.cpus}), ${machine.memoryGiB} GiB RAM, Linux ${machine.kernel}; ` +
      `load average ${machine.loadAverageAtStart.join(' / ')} at the start and ${run.loadAverageAtEnd.join(' / ')} at the end (1/5/15 min).`,
    `- Node ${machine.node}, npm ${machine.npm}; ${pkgs}.`,
    '',
    '### Targets',
    '',
    table(
      ['Target', 'Measured (median)', 'Result'],
      targets.map((t) => [t.label, t.shown, verdict(t.pass)]),
    ),
  );

  if (results.capture) {
    const { summary, ratios, config: c } = results.capture;
    out.push(
      '',
      `### 1. Capture cost (ns per event; ${c.chunks} timed chunks of ${c.chunk} events per round after ${c.warmupChunks} warm-up chunks)`,
      '',
      table(
        ['Library', 'ns/event, median (min–max)', 'of which in the call itself', 'every event reached the sink'],
        Object.entries(summary).map(([name, s]) => [
          LABELS[name],
          range(s.nsPerEvent),
          range(s.callNsPerEvent),
          s.allDelivered ? 'yes' : '**no**',
        ]),
      ),
      '',
      `Ratios (per round, median and range): nestjs-spotzee / Segment ${range(ratios.spotzeeVsSegment, times)}; ` +
        `nestjs-spotzee / PostHog ${range(ratios.spotzeeVsPosthog, times)}.`,
      ...storeRatioLines(ratios, 'ns per event', 'fileVsMemory', 'redisVsMemory'),
    );
  }

  if (results.throughput) {
    const { summary, ratios, config: c } = results.throughput;
    out.push(
      '',
      `### 2. Delivery throughput (${int(c.events)} events per round, ${c.batchSize} events per request, sink in another process)`,
      '',
      table(
        [
          'Library',
          'events/s, median (min–max)',
          'CPU µs per event (capture + send)',
          'events per request',
          'every event arrived',
        ],
        Object.entries(summary).map(([name, s]) => [
          LABELS[name],
          range(s.eventsPerSecond),
          range(s.cpuUsPerEvent, dec),
          dec(s.eventsPerRequest.median, 0),
          s.allDelivered ? 'yes' : '**no**',
        ]),
      ),
      '',
      `Ratios (per round): nestjs-spotzee / faster peer ${range(ratios.spotzeeVsFasterPeer, times)}; ` +
        `/ Segment ${range(ratios.spotzeeVsSegment, times)}; / PostHog ${range(ratios.spotzeeVsPosthog, times)}.`,
      ...storeRatioLines(ratios, 'events/s', 'fileVsMemory', 'redisVsMemory'),
      ...storeRatioLines(ratios, 'CPU per event', 'fileCpuVsMemory', 'redisCpuVsMemory'),
    );
  }

  if (results.overhead) {
    const { summary, ratios, variants, config: c } = results.overhead;
    const rows = [];
    for (const [platform, byVariant] of Object.entries(summary)) {
      for (const [variant, s] of Object.entries(byVariant)) {
        rows.push([
          platform,
          variants[variant].label,
          range(s.reqPerSec),
          range(s.p99Ms, (v) => dec(v, 0)),
          range(s.cpuUsPerRequest),
          int(s.non2xx),
        ]);
      }
    }
    out.push(
      '',
      `### 3. Request overhead (autocannon, ${c.connections} connections per app, ${c.seconds} s per run${c.concurrent ? ', each run under load at the same time as the app without the module' : ''}, \`POST /orders\`)`,
      '',
      table(
        [
          'Platform',
          'Route',
          'req/s, median (min–max)',
          'p99 ms, median (min–max)',
          'app CPU µs per request',
          'errors / other status',
        ],
        rows,
      ),
      '',
      overheadMethod(c, results.overhead.busyShare),
      '',
      table(
        ['Platform', 'Route', 'req/s vs no module', 'app CPU vs no module', 'target'],
        Object.entries(ratios).flatMap(([platform, r]) =>
          OVERHEAD_RATIO_ROWS.filter(([variant]) => r[`${variant}VsBaseline`]).map(([variant, label, target]) => [
            platform,
            label,
            range(r[`${variant}VsBaseline`], times),
            range(r[`cpu${variant[0].toUpperCase()}${variant.slice(1)}VsBaseline`], times),
            target,
          ]),
        ),
      ),
      '',
      ...Object.entries(ratios).map(
        ([platform, r]) =>
          `- ${platform}, req/s: decorated / undecorated ${range(r.decoratedVsUndecorated, times)}; ` +
          `undecorated / pass-through interceptor ${range(r.undecoratedVsPassthrough, times)}. ` +
          `By app CPU per request: decorated vs undecorated ${range(r.cpuDecoratedVsUndecorated, times)}, ` +
          `undecorated vs pass-through interceptor ${range(r.cpuUndecoratedVsPassthrough, times)}.`,
      ),
      '',
      `Every decorated request's event reached the sink${summary.express?.decoratedDryRun ? ' (with `dryRun`, was settled as delivered; on the 422 route, was discarded)' : ''}: ${Object.values(summary).every((b) => Object.values(b).every((v) => v.eventsMatchResponses)) ? 'yes' : '**no**'}.`,
    );
  }

  if (results.outage) {
    const { results: byLib, config: c } = results.outage;
    const ms = (d) => (!d ? 'n/a' : d.samples === 0 ? 'blocked' : dec(d.p99Ms));
    out.push(
      '',
      `### 4. Outage (${c.rate.toLocaleString('en-US')} events/s; sink unreachable for ${c.seconds} s after ${c.steadySeconds} s steady, ` +
        `${c.recoverySeconds} s back up, then shutdown with a ${c.deadlineMs / 1000} s deadline; queue limit ${int(c.queueLimit)} events where the library has one)`,
      '',
      table(
        [
          'Library',
          'queue-limit option',
          'captured',
          'delivered',
          'dropped, reported',
          'dropped silently',
          'duplicates at sink',
          'live heap growth, 1st / 2nd half of outage (MiB)',
          'peak heap / RSS growth (MiB)',
          'p99 event-loop delay, steady / outage / recovery / drain (ms)',
        ],
        Object.entries(byLib).map(([name, r]) => [
          LABELS[name],
          !r.queueLimitOption
            ? 'none'
            : `\`${r.queueLimitOption}\`` +
              (r.queueLimit && r.queueLimit !== c.queueLimit
                ? ` ${int(r.queueLimit)} and \`maxQueueBytes\` ${dec(c.diskQueueBytes / 2 ** 30, 0)} GiB (on disk)`
                : ''),
          int(r.captured),
          int(r.delivered),
          int(r.reportedDrops),
          int(r.silentDrops),
          int(r.duplicatesAtSink),
          `${dec(r.liveHeapMiB.midOutage - r.liveHeapMiB.beforeOutage)} / ${dec(r.liveHeapGrowthSecondHalfMiB)}`,
          `${dec(r.peakHeapGrowthMiB, 0)} / ${dec(r.peakRssGrowthMiB, 0)}`,
          ['steady', 'outage', 'recovery', 'drain'].map((p) => ms(r.delays[p])).join(' / '),
        ]),
      ),
      '',
      ...Object.entries(results.outage.idleProcessDelays ?? {}).map(
        ([stage, d]) =>
          `- An idle Node process alongside the ${stage
            .split('+')
            .map((n) => LABELS[n])
            .join(' and ')} run saw p99 event-loop delays of ` +
          `${['steady', 'outage', 'recovery', 'drain'].map((p) => ms(d[p])).join(' / ')} ms (the machine's floor).`,
      ),
      ...Object.entries(byLib).map(
        ([name, r]) =>
          `- ${LABELS[name]}: first batch ${r.resumeLagSeconds === null ? 'never arrived' : `arrived ${dec(r.resumeLagSeconds)} s`} after the sink came back; ` +
          (r.backlogDrainedSeconds === null
            ? ''
            : `backlog under one second of capture ${dec(r.backlogDrainedSeconds)} s after; `) +
          `shutdown took ${dec(r.closeMs / 1000)} s; reported ${JSON.stringify(r.reasons)}.`,
      ),
    );
  }

  if (results.goodput) {
    const { results: byLib, ratios, config: c } = results.goodput;
    const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
    const f = c.faults;
    out.push(
      '',
      `### 5. Goodput under partial failure (${int(c.rate)} events/s for ${c.seconds} s; faulty: ${pct(c.faultShare)} of requests fail — ` +
        `${pct(f.error)} 500/503, ${pct(f.reset)} connection reset, ${pct(f.lost)} answer lost after the batch was stored, ` +
        `${pct(f.slow)} answered after ${dec(c.slowMs / 1000)} s, past the 10 s default request timeout)`,
      '',
      table(
        [
          'Library',
          'sink',
          'delivered within 2 s of arrival end',
          'full drain (s after arrival end)',
          'p50 / p99 capture → delivery (ms)',
          'duplicates at sink',
          'dropped, reported / silently',
          'within 2 s vs clean run',
        ],
        Object.entries(byLib).flatMap(([name, runs]) =>
          Object.entries(runs).map(([mode, r]) => [
            LABELS[name],
            mode,
            pct(r.shareWithinWindow),
            r.drainSeconds === null
              ? `not all: ${int(r.deliveredAtDrain)} of ${int(r.events)} after ${dec(r.flushSeconds)} s`
              : dec(r.drainSeconds),
            [r.p50LatencyMs, r.p99LatencyMs].map((v) => (v === Infinity ? 'never' : int(v))).join(' / '),
            int(r.duplicatesAtSink),
            `${int(r.reportedDrops)} / ${int(r.silentDrops)}`,
            mode === 'faulty' ? times(ratios[name]?.shareVsClean) : '',
          ]),
        ),
      ),
      '',
      ...Object.entries(byLib).map(
        ([name, runs]) =>
          `- ${LABELS[name]}, faults met: ${JSON.stringify(runs.faulty?.faults ?? {})}; requests stored by the sink ${int(runs.faulty?.requestsAtSink)}; reported ${JSON.stringify(runs.faulty?.reasons ?? {})}.`,
      ),
    );
  }

  const stray =
    ['capture', 'throughput', 'overhead'].reduce((sum, k) => sum + (results[k]?.strayRequests ?? 0), 0) +
    Object.values(results.outage?.results ?? {}).reduce((sum, r) => sum + (r.strayRequests ?? 0), 0);
  out.push('', `Requests to anything but the three batch endpoints (flag polling, telemetry): ${stray}.`);

  if (run.profiles && Object.keys(run.profiles).length) {
    out.push(
      '',
      '### CPU profiles (nestjs-spotzee processes, `--profile`): heaviest library functions by self time',
      '',
    );
    for (const [section, profiles] of Object.entries(run.profiles)) {
      for (const p of profiles) {
        out.push(
          `- ${section}, \`${p.file}\` (library ${p.librarySharePct}% of ${int(p.totalMs)} ms): ` +
            (p.topInLibrary
              .slice(0, 5)
              .map((f) => `\`${f.function}\` ${(f.share * 100).toFixed(1)}%`)
              .join(', ') || 'no library frames'),
        );
      }
    }
  }
  return out.join('\n');
}

/** The overhead section's rows against the app without the module: variant, label, target. */
const OVERHEAD_RATIO_ROWS = [
  ['twin', 'a second process of the app without the module (the method’s resolution)', 'reported'],
  ['undecorated', 'without @EmitsEvent', '≥ 0.95×'],
  ['decorated', 'with @EmitsEvent', '≥ 0.85×'],
  ['decoratedDryRun', 'with @EmitsEvent and `dryRun: true` (no network)', 'reported'],
  [
    'decoratedDiscarded',
    'with @EmitsEvent, answering 422 (captured and held, then discarded: no queue, no network)',
    'reported',
  ],
  ['undecoratedContexts', 'without @EmitsEvent, request contexts on', 'reported'],
  ['decoratedContexts', 'with @EmitsEvent, request contexts on', 'reported'],
];

/** How the overhead section paired its runs, as the sentence under its table of absolute figures. */
function overheadMethod(c, busyShare) {
  const pinning = c.pinned
    ? `The apps ran pinned to CPU ${c.pinned.apps}, autocannon and the sink to CPUs ${c.pinned.others}.`
    : 'Processes were not pinned to CPUs.';
  if (c.concurrent) {
    const busy = busyShare?.median;
    const limited =
      c.pinned && busy !== undefined && busy < 0.9
        ? ' **The apps left their CPU partly idle: the load generator limited the runs, so the ratios understate the differences.**'
        : '';
    return (
      `Each variant under load at the same time as the same app without the module, both on one CPU, each ` +
      `with its own autocannon and connections (median and range over rounds; CPU per request inverted, so ` +
      `1.00× = free). ${pinning} Together the two apps of a pair used ${range(busyShare, (v) => dec(v, 2))} of a CPU ` +
      `(their delivery tails included).${limited} The no-module row above is the median of each round's ` +
      `paired runs; its absolute figures are for half a CPU.`
    );
  }
  if (c.paired) {
    return `Each variant against the run of the same app without the module it was paired with${c.slices > 1 ? ', their slices interleaved' : ', back to back'} (median and range over rounds; CPU per request inverted, so 1.00× = free). ${pinning} The no-module row above is the median of each round's paired runs.`;
  }
  return 'Each variant against the same app without the module (per round, median and range; CPU per request inverted, so 1.00× = free):';
}
