// `npm run bench`: nestjs-spotzee against @segment/analytics-node and posthog-node, side by side in one
// run. Writes the raw results to bench/results/, prints the summary, and on a full run refreshes the
// numbers in BENCHMARKS.md. Knobs: see harness/bench-config.mjs and BENCHMARKS.md.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from './harness/bench-config.mjs';
import { killAllChildren, RESULTS_DIR } from './harness/child-process.mjs';
import { PROFILE_DIR, summarizeSection } from './harness/cpu-profile.mjs';
import { writeResultsSection } from './harness/benchmarks-md.mjs';
import { buildLibrary } from './harness/library-build.mjs';
import { killRedisServers } from './harness/redis-server.mjs';
import { currentLoad, machineInfo } from './harness/machine-info.mjs';
import { renderMarkdown } from './harness/report.mjs';
import { evaluateTargets } from './harness/targets.mjs';
import { runCapture } from './scenarios/capture.scenario.mjs';
import { runGoodput } from './scenarios/goodput.scenario.mjs';
import { runOutage } from './scenarios/outage.scenario.mjs';
import { runOverhead } from './scenarios/overhead.scenario.mjs';
import { runThroughput } from './scenarios/throughput.scenario.mjs';

const RUNNERS = {
  capture: runCapture,
  throughput: runThroughput,
  overhead: runOverhead,
  outage: runOutage,
  goodput: runGoodput,
};

function log(line) {
  const elapsed = ((performance.now() / 1000) | 0).toString().padStart(4);
  console.log(`[${elapsed}s] ${line}`);
}

async function main() {
  const config = readConfig();
  const startedAt = new Date();
  log(`building nestjs-spotzee (tsconfig.build.json → bench/results/build/esm)`);
  const librarySource = buildLibrary();
  rmSync(join(RESULTS_DIR, 'logs'), { recursive: true, force: true });
  if (config.profile) rmSync(PROFILE_DIR, { recursive: true, force: true });

  const machine = machineInfo();
  machine.library.source = librarySource;
  log(
    `${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}; sections: ${config.sections.join(', ')}${config.quick ? ' (quick mode)' : ''}`,
  );
  const results = {};
  const profiles = {};
  for (const section of config.sections) {
    log(`— ${section} —`);
    results[section] = await RUNNERS[section](config, log);
    if (config.profile) profiles[section] = summarizeSection(section);
  }

  const run = {
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    loadAverageAtEnd: currentLoad(),
    machine,
    config,
    results,
    profiles,
  };
  run.targets = evaluateTargets(results);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify(run, null, 2);
  const file = join(RESULTS_DIR, `bench-${run.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);

  const markdown = renderMarkdown(run);
  console.log(`\n${markdown}\n`);
  log(`results: ${file}`);
  if (config.writeMarkdown) {
    writeResultsSection(markdown);
    log('BENCHMARKS.md refreshed');
  } else {
    log('BENCHMARKS.md left as is (partial, quick or shortened run; BENCH_WRITE_MD=1 writes it anyway)');
  }
}

main().catch((error) => {
  console.error(error);
  killAllChildren();
  killRedisServers();
  process.exitCode = 1;
});
