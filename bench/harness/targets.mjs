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
  }
  if (results.throughput) {
    const r = results.throughput.ratios.spotzeeVsFasterPeer?.median;
    targets.push(check('throughput', 'Throughput ≥ 1.5× the faster peer (100 events/request)', r, r >= 1.5, times(r)));
  }
  if (results.overhead) {
    for (const platform of Object.keys(results.overhead.ratios)) {
      const r = results.overhead.ratios[platform].decoratedVsUndecorated?.median;
      const cpu = results.overhead.ratios[platform].cpuDecoratedVsUndecorated?.median;
      targets.push(
        check(
          `overhead-${platform}`,
          `Decorated route ≥ 0.97× undecorated req/s (${platform})`,
          r,
          r >= 0.97,
          `${times(r)} (app CPU per request: ${times(cpu)})`,
        ),
      );
    }
  }
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
  return targets;
}
