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
      const r = ratios.decoratedVsUndecorated?.median;
      const cpu = ratios.cpuDecoratedVsUndecorated?.median;
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

function percent(value) {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : 'n/a';
}
