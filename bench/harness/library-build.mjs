// nestjs-spotzee is measured from its compiled ESM output, like users load it. The benchmark compiles
// its own copy (same tsconfig.build.json, private output directory) instead of reading dist/: a pack
// or build started elsewhere in the checkout cleans dist/ and would pull the library out from under a
// running benchmark.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, RESULTS_DIR } from './child-process.mjs';

export const LIBRARY_BUILD_DIR = join(RESULTS_DIR, 'build', 'esm');
const REPO_ROOT = join(BENCH_DIR, '..');

export function buildLibrary() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  rmSync(LIBRARY_BUILD_DIR, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [tsc, '-p', join(REPO_ROOT, 'tsconfig.build.json'), '--outDir', LIBRARY_BUILD_DIR,
      '--declaration', 'false', '--declarationMap', 'false'],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
  mkdirSync(LIBRARY_BUILD_DIR, { recursive: true });
  writeFileSync(join(LIBRARY_BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
}

/** The library's public entry point (`nestjs-spotzee`), from the benchmark's build. */
export function loadLibrary() {
  return import(pathToFileURL(join(LIBRARY_BUILD_DIR, 'index.js')).href);
}
