// Keeps the numbers in BENCHMARKS.md true: the bench rewrites only what sits between the markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR } from './child-process.mjs';

export const BENCHMARKS_MD = join(BENCH_DIR, '..', 'BENCHMARKS.md');
const BEGIN = '<!-- bench:results:begin (written by `npm run bench`; edits here are overwritten) -->';
const END = '<!-- bench:results:end -->';

export function writeResultsSection(markdown) {
  const current = readFileSync(BENCHMARKS_MD, 'utf8');
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`BENCHMARKS.md: markers not found (${BEGIN} … ${END})`);
  writeFileSync(BENCHMARKS_MD, `${current.slice(0, begin + BEGIN.length)}\n${markdown}\n${current.slice(end)}`);
}
