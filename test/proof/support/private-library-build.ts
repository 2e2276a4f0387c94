import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Inputs of the build: a change to any of them makes a new build. */
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];
/** Builds of older sources are removed after this long; a run still using one has long finished. */
const STALE_BUILD_MS = 24 * 60 * 60 * 1000;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function pruneStaleBuilds(root: string, keep: string): void {
  for (const entry of readdirSync(root)) {
    const dir = join(root, entry);
    if (dir === keep) continue;
    try {
      if (Date.now() - statSync(dir).mtimeMs > STALE_BUILD_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Removed by a concurrent run meanwhile.
    }
  }
}

function sourceHash(repoRoot: string): string {
  // The checkout's path is part of the key: the build links to this checkout's node_modules, and a
  // build shared with another clone would load a second copy of @nestjs/core next to the app's.
  const hash = createHash('sha256').update(repoRoot).update('\0');
  const files = [...listFiles(join(repoRoot, 'lib')).sort(), ...CONFIG_FILES.map((file) => join(repoRoot, file))];
  for (const file of files) {
    hash.update(relative(repoRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 24);
}

/**
 * Compiles the library's current sources to ESM, the way `npm run build` does, into a private
 * directory under the OS temp dir, and returns the directory that holds `index.js`.
 *
 * Not the repository's `dist/`: `scripts/build.mjs` starts by deleting it, and other test files and
 * maintainers build there at any moment, which would pull the library out from under a child process.
 * Builds are keyed by a hash of the sources and reused; type checking is left to `npm run typecheck`
 * (`--noCheck`), so a child process always runs exactly the sources under test.
 */
export async function buildLibraryPrivately(repoRoot: string): Promise<string> {
  const root = join(tmpdir(), `nestjs-spotzee-proof-${process.getuid?.() ?? 'user'}`);
  const target = join(root, sourceHash(repoRoot));
  const entry = join(target, 'esm');
  if (existsSync(join(target, 'complete'))) return entry;

  mkdirSync(root, { recursive: true });
  const staging = join(root, `staging-${process.pid}-${randomUUID()}`);
  try {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await run(
      process.execPath,
      [
        tsc,
        '-p',
        join(repoRoot, 'tsconfig.build.json'),
        '--outDir',
        join(staging, 'esm'),
        '--noCheck',
        '--declaration',
        'false',
        '--declarationMap',
        'false',
      ],
      { cwd: repoRoot },
    );
    writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
    // The build resolves @nestjs/* and undici from the repository, so the child shares one copy with its app.
    symlinkSync(join(repoRoot, 'node_modules'), join(staging, 'node_modules'), 'dir');
    writeFileSync(join(staging, 'complete'), new Date().toISOString());
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another run finished the same build first: use theirs.
      if (!existsSync(join(target, 'complete'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  pruneStaleBuilds(root, target);
  return entry;
}
