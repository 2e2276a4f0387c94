import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOrThrow } from './run-command.js';

export interface LibraryTarball {
  /** Absolute path of the `.tgz` that `npm pack` produced. */
  path: string;
  /** sha256 of the tarball's bytes: names the installed copy, so a rerun can tell it is current. */
  sha256: string;
  /** The staging copy of the repository the tarball was built from. */
  stageDir: string;
  /** Paths inside the tarball (without npm's `package/` prefix), as `npm pack` listed them. */
  files: string[];
}

/** Not copied to the staging area: what the build does not read, and what must not be shared. */
const NOT_STAGED = new Set(['.git', '.tmp', 'node_modules', 'dist', 'dist-sample', 'coverage', 'test', 'sample-app', 'bench']);

/**
 * Builds the library with its own `scripts/build.mjs` and packs it with `npm pack`, exactly as a
 * release would, but in a staging copy under the OS temp dir: other test files and maintainers build
 * into the repository's `dist/` at the same time, and `build.mjs` starts by deleting it.
 */
export async function buildAndPackLibrary(repoRoot: string): Promise<LibraryTarball> {
  const workDir = mkdtempSync(join(tmpdir(), 'nestjs-spotzee-pack-'));
  const stageDir = join(workDir, 'stage');
  const packDir = join(workDir, 'pack');
  mkdirSync(stageDir);
  mkdirSync(packDir);
  try {
    for (const entry of readdirSync(repoRoot)) {
      if (!NOT_STAGED.has(entry)) cpSync(join(repoRoot, entry), join(stageDir, entry), { recursive: true });
    }
    // The build needs the repository's toolchain (tsc, @types), not a copy of it.
    symlinkSync(join(repoRoot, 'node_modules'), join(stageDir, 'node_modules'), 'dir');

    await runOrThrow(process.execPath, ['scripts/build.mjs'], { cwd: stageDir });
    // Scripts are ignored because the build above is the whole preparation a release does.
    const packed = await runOrThrow('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {
      cwd: stageDir,
    });
    const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const path = join(packDir, filename);
    return {
      path,
      sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
      stageDir,
      files: files.map((file) => file.path),
    };
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}
