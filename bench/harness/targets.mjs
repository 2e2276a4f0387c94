// The performance targets nestjs-spotzee holds itself to, evaluated on a run's results. A missing
// measurement is reported as "not measured", never as a pass.

function check(id, label, measured, pass, shown) {
  return {
    id,
    label,
    measured: measured ?? null,
    shown,
    pass: measured === null || measured === undefined ? null : pass,
  };
}

const times = (value) => (value === null || value === undefined ? 'n/a' : `${value.toFixed(2)}×`);

export function evaluateTargets(results) {
  const targets = [];
  if (results.capture) {
    const r = results.capture.ratios.spotzeeVsSegment?.median;
    targets.push(check('capture', 'Capture cost ≤ 0.5× Segment’s', r, r <= 0.5, times(r)));
    // A durable store pays one write (a syscall into the page cache, or a command queued on the Redis
    // socket, never awaited) on top of the memory store's capture: it must stay in microseconds.
    for (const [store, label] of [
      ['file', 'FileEventStore'],
      ['redis', 'RedisEventStore'],
    ]) {
      const ratio = results.capture.ratios[`${store}VsMemory`]?.median;
      const ns = results.capture.summary[`spotzee-${store}`]?.nsPerEvent?.median;
      if (ns === undefined) continue;
      const measured = ratio === null || ratio === undefined || ns === null ? null : ratio;
      targets.push(
        check(
          `capture-${store}`,
          `${label} capture ≤ ${STORE_CAPTURE_RATIO}× the memory store’s and ≤ ${STORE_CAPTURE_US} µs per event`,
          measured,
          ratio <= STORE_CAPTURE_RATIO && ns <= STORE_CAPTURE_US * 1000,
          `${times(ratio)}, ${ns === null ? 'n/a' : (ns / 1000).toFixed(1)} µs per event`,
        ),
      );
    }
  }
  if (results.throughput) {
    const r = results.throughput.ratios.spotzeeVsFasterPeer?.median;
    targets.push(check('throughput', 'Throughput ≥ 1.5× the faster peer (100 events/request)', r, r >= 1.5, times(r)));
    for (const [store, label, floor] of [
      ['file', 'FileEventStore', STORE_THROUGHPUT_FLOOR.file],
      ['redis', 'RedisEventStore', STORE_THROUGHPUT_FLOOR.redis],
    ]) {
      if (!results.throughput.summary[`spotzee-${store}`]) continue;
      const ratio = results.throughput.ratios[`${store}VsMemory`]?.median;
      const cpu = results.throughput.ratios[`${store}CpuVsMemory`]?.median;
      targets.push(
        check(
          `throughput-${store}`,
          `${label} throughput ≥ ${floor}× the memory store’s`,
          ratio,
          ratio >= floor,
          `${times(ratio)} (CPU per event: ${times(cpu)})`,
        ),
      );
    }
  }
  if (results.overhead) {
    for (const platform of Object.keys(results.overhead.ratios)) {
      const ratios = results.overhead.ratios[platform];
      // Against the same app without the module: what adopting nestjs-spotzee costs a service.
      const undecorated = ratios.undecoratedVsBaseline?.median;
      const cpuUndecorated = ratios.cpuUndecoratedVsBaseline?.median;
      targets.push(
        check(
          `overhead-undecorated-${platform}`,
          `Route without @EmitsEvent ≥ 0.95× the app without the module, req/s (${platform})`,
          undecorated,
          undecorated >= 0.95,
          `${times(undecorated)} (app CPU per request: ${times(cpuUndecorated)})`,
        ),
      );
      const decorated = ratios.decoratedVsBaseline?.median;
      const cpuDecorated = ratios.cpuDecoratedVsBaseline?.median;
      targets.push(
        check(
          `overhead-decorated-${platform}`,
          `Route with @EmitsEvent ≥ 0.85× the app without the module, req/s (${platform})`,
          decorated,
          decorated >= 0.85,
          `${times(decorated)} (app CPU per request: ${times(cpuDecorated)})`,
        ),
      );
    }
  }
  const fileOutage = results.outage?.results?.['spotzee-file'];
  if (fileOutage) targets.push(...fileOutageTargets(results.outage, fileOutage));
  const outage = results.outage?.results?.spotzee;
  if (outage) {
    targets.push(
      check(
        'heap',
        'Heap bounded by the queue limit during the outage',
        outage.heapBounded,
        outage.heapBounded === true,
        `+${outage.liveHeapGrowthSecondHalfMiB.toFixed(1)} MiB live heap after the queue filled`,
      ),
    );
    const recovery = outage.delays.recovery;
    // A phase without a single timer tick means the loop was blocked throughout: the worst case.
    const p99 = !recovery ? undefined : recovery.samples === 0 ? Infinity : recovery.p99Ms;
    const floor = results.outage.idleProcessDelays?.spotzee?.recovery?.p99Ms;
    targets.push(
      check(
        'event-loop',
        'p99 event-loop delay ≤ 10 ms during the post-outage flush burst',
        p99,
        p99 <= 10,
        (p99 === undefined ? 'n/a' : p99 === Infinity ? 'blocked for the whole phase' : `${p99.toFixed(1)} ms`) +
          (floor === undefined ? '' : ` (an idle process on the machine meanwhile: ${floor.toFixed(1)} ms)`),
      ),
    );
  }
  const goodput = results.goodput;
  if (goodput?.results.spotzee) {
    const r = goodput.ratios.spotzee?.shareVsClean;
    const share = goodput.results.spotzee.faulty?.shareWithinWindow;
    targets.push(
      check(
        'goodput',
        'Under ~20% mixed faults, share delivered within 2 s ≥ 0.9× the clean run',
        r,
        r >= 0.9,
        `${times(r)} (${percent(share)} faulty, ${percent(goodput.results.spotzee.clean?.shareWithinWindow)} clean)`,
      ),
    );
    const peers = Object.keys(goodput.results).filter((name) => name !== 'spotzee');
    const best = Math.max(...peers.map((name) => goodput.results[name].faulty?.shareWithinWindow ?? -Infinity));
    const measured = peers.length && Number.isFinite(best) && Number.isFinite(share) ? share - best : null;
    targets.push(
      check(
        'goodput-peers',
        'Under the same faults, share delivered within 2 s ahead of both peers',
        measured,
        measured > 0,
        measured === null ? 'n/a' : `${percent(share)} against the better peer’s ${percent(best)}`,
      ),
    );
  }
  return targets;
}

/** Capture with a durable store: at most this many times the memory store's, and this many µs per event. */
const STORE_CAPTURE_RATIO = 4;
const STORE_CAPTURE_US = 20;
/** Delivery throughput with a durable store, as a share of the memory store's. */
const STORE_THROUGHPUT_FLOOR = { file: 0.5, redis: 0.25 };

/** The outage held on disk: nothing dropped, the heap flat while the backlog grows, the drain smooth. */
function fileOutageTargets(outage, run) {
  const dropped = run.reportedDrops + run.silentDrops;
  const recovery = run.delays.recovery;
  const p99 = !recovery ? undefined : recovery.samples === 0 ? Infinity : recovery.p99Ms;
  const floor = outage.idleProcessDelays?.['spotzee-file']?.recovery?.p99Ms;
  return [
    check(
      'outage-file-dropped',
      'FileEventStore holds the whole outage: 0 events dropped',
      dropped,
      dropped === 0 && run.delivered === run.captured,
      `${dropped.toLocaleString('en-US')} dropped, ${run.delivered.toLocaleString('en-US')} of ${run.captured.toLocaleString('en-US')} delivered`,
    ),
    check(
      'outage-file-heap',
      'FileEventStore outage: live heap bounded while the backlog grows on disk',
      run.heapBounded,
      run.heapBounded === true,
      `+${run.liveHeapGrowthSecondHalfMiB.toFixed(1)} MiB live heap in the outage’s second half (+${(run.liveHeapMiB.midOutage - run.liveHeapMiB.beforeOutage).toFixed(1)} in the first)`,
    ),
    check(
      'outage-file-event-loop',
      'FileEventStore outage: p99 event-loop delay ≤ 10 ms while the backlog drains',
      p99,
      p99 <= 10,
      (p99 === undefined ? 'n/a' : p99 === Infinity ? 'blocked for the whole phase' : `${p99.toFixed(1)} ms`) +
        (floor === undefined ? '' : ` (an idle process on the machine meanwhile: ${floor.toFixed(1)} ms)`),
    ),
  ];
}

function percent(value) {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : 'n/a';
}
