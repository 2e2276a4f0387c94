// nestjs-spotzee is measured from its compiled ESM output, like users load it. The benchmark compiles
// its own copy with the repository's tsconfig.build.json into a private directory instead of reading
// dist/: a pack or build started elsewhere in the checkout cleans dist/ and would pull the library out
// from under a running benchmark.
//
// By default the sources are the committed ones (`git archive HEAD`), so the numbers belong to the
// commit the report names even while lib/ is being edited; BENCH_SOURCE=worktree measures the working
// tree instead (to try an engine change before committing it).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_DIR, RESULTS_DIR } from './child-process.mjs';

export const LIBRARY_BUILD_DIR = join(RESULTS_DIR, 'build', 'esm');
export const LIBRARY_SOURCE_DIR = join(RESULTS_DIR, 'source');
const REPO_ROOT = join(BENCH_DIR, '..');
const BUILD_INPUTS = ['lib', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

export function buildLibrary(source = process.env.BENCH_SOURCE === 'worktree' ? 'worktree' : 'HEAD') {
  rmSync(LIBRARY_SOURCE_DIR, { recursive: true, force: true });
  mkdirSync(LIBRARY_SOURCE_DIR, { recursive: true });
  if (source === 'worktree') {
    for (const input of BUILD_INPUTS) {
      cpSync(join(REPO_ROOT, input), join(LIBRARY_SOURCE_DIR, input), { recursive: true });
    }
  } else {
    const archive = execFileSync('git', ['archive', '--format=tar', 'HEAD', ...BUILD_INPUTS], {
      cwd: REPO_ROOT,
      maxBuffer: 1 << 30,
    });
    execFileSync('tar', ['-x', '-C', LIBRARY_SOURCE_DIR], { input: archive });
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  rmSync(LIBRARY_BUILD_DIR, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      tsc,
      '-p',
      join(LIBRARY_SOURCE_DIR, 'tsconfig.build.json'),
      '--outDir',
      LIBRARY_BUILD_DIR,
      '--declaration',
      'false',
      '--declarationMap',
      'false',
    ],
    { cwd: LIBRARY_SOURCE_DIR, stdio: 'inherit' },
  );
  writeFileSync(join(LIBRARY_BUILD_DIR, 'package.json'), '{ "type": "module" }\n');
  return source;
}

/** The library's public entry point (`nestjs-spotzee`), from the benchmark's build. */
export function loadLibrary() {
  return import(pathToFileURL(join(LIBRARY_BUILD_DIR, 'index.js')).href);
}

/** `nestjs-spotzee/redis` (RedisEventStore, the only entry that loads ioredis), from the same build. */
export function loadRedisEntry() {
  return import(pathToFileURL(join(LIBRARY_BUILD_DIR, 'redis', 'index.js')).href);
}
