import { cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runOrThrow } from './run-command.js';

export interface LibraryTarball {
  /** Absolute path of the `.tgz` that `npm pack` produced. */
  path: string;
  /** The staging copy of the repository the tarball was built from; its `dist/` is what was packed. */
  stageDir: string;
  /** Paths inside the tarball (without npm's `package/` prefix), as `npm pack` listed them. */
  files: string[];
}

/** Not copied to the staging area: what the build does not read, and what must not be shared. */
const NOT_STAGED = new Set([
  '.git',
  '.tmp',
  'node_modules',
  'dist',
  'dist-sample',
  'coverage',
  'test',
  'sample-app',
  'bench',
]);

/**
 * Builds the library with its own `scripts/build.mjs` and packs it with `npm pack`, exactly as a
 * release would, but in a staging copy inside `workDir`: other test files and maintainers build into
 * the repository's `dist/` at the same time, and `build.mjs` starts by deleting it.
 */
export async function buildAndPackLibrary(repoRoot: string, workDir: string): Promise<LibraryTarball> {
  const stageDir = join(workDir, 'stage');
  const packDir = join(workDir, 'pack');
  mkdirSync(stageDir, { recursive: true });
  mkdirSync(packDir, { recursive: true });
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
  const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  return { path: join(packDir, filename), stageDir, files: files.map((file) => file.path) };
}
