// `--profile` runs nestjs-spotzee's processes under `node --cpu-prof` and condenses each profile into
// the functions that own the most self time, mapped back to lib/ paths, so a missed target comes with
// the name of the engine function to look at.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_DIR, RESULTS_DIR } from './child-process.mjs';
import { LIBRARY_BUILD_DIR, LIBRARY_SOURCE_DIR } from './library-build.mjs';

export const PROFILE_DIR = join(RESULTS_DIR, 'profiles');
const REPO_ROOT = join(BENCH_DIR, '..');

/** Extra node flags for a child: only nestjs-spotzee's processes are profiled, and only on request. */
export function profileArgs(config, section, contender, index = 0) {
  if (!config.profile || !contender.startsWith('spotzee')) return [];
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${PROFILE_DIR}`,
    `--cpu-prof-name=${section}-${contender}-${index + 1}.cpuprofile`,
  ];
}

/** Self time per function (ms and share), heaviest first; compiled paths are shown as their lib/ source. */
export function summarizeProfile(path, top = 12) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const selfUs = new Map();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    totalUs += us;
    const { functionName, url, lineNumber, columnNumber } = nodes.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${location(url, lineNumber, columnNumber)}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const rows = [...byFunction.entries()].sort((a, b) => b[1] - a[1]);
  const library = rows.filter(([key]) => key.includes(' lib/'));
  const format = ([fn, us]) => ({ function: fn, selfMs: +(us / 1000).toFixed(1), share: +(us / totalUs).toFixed(4) });
  return {
    file: relative(REPO_ROOT, path),
    totalMs: +(totalUs / 1000).toFixed(1),
    librarySharePct: +((100 * library.reduce((sum, [, us]) => sum + us, 0)) / totalUs).toFixed(1),
    top: rows.slice(0, top).map(format),
    topInLibrary: library.slice(0, top).map(format),
  };
}

/** Summaries of the profiles a section wrote (newest run only: the directory is cleared per run). */
export function summarizeSection(section) {
  if (!existsSync(PROFILE_DIR)) return [];
  return readdirSync(PROFILE_DIR)
    .filter((f) => f.startsWith(`${section}-`) && f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => summarizeProfile(join(PROFILE_DIR, f)));
}

const sourceMaps = new Map();

/** `lib/…ts:line` through the build's source map when the frame is in the library; else a short path. */
function location(url, line, column) {
  if (!url) return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (!relative(LIBRARY_BUILD_DIR, path).startsWith('..')) {
    if (!sourceMaps.has(path)) {
      try {
        sourceMaps.set(path, new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))));
      } catch {
        sourceMaps.set(path, null);
      }
    }
    const entry = sourceMaps.get(path)?.findEntry(line, column);
    if (entry?.originalSource) {
      const source = resolve(dirname(path), entry.originalSource.replace(/^file:\/\//, ''));
      // Compiled from a copy of the sources: show the path as it is in the repository.
      return `${relative(LIBRARY_SOURCE_DIR, source)}:${entry.originalLine + 1}`;
    }
  }
  return `${displayPath(url)}:${line + 1}`;
}

function displayPath(url) {
  if (!url) return '';
  if (!url.startsWith('file://') && !url.startsWith('/')) return url;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = relative(REPO_ROOT, path);
  const built = relative(LIBRARY_BUILD_DIR, path);
  if (!built.startsWith('..')) return `lib/${built.replace(/\.js$/, '.ts')}`;
  if (rel.startsWith('node_modules/')) {
    return rel
      .split('/')
      .slice(0, rel.startsWith('node_modules/@') ? 3 : 2)
      .join('/');
  }
  return rel.startsWith('..') ? path : rel;
}
