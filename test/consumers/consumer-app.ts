import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { acquireDirectoryLock } from './directory-lock.js';
import type { LibraryTarball } from './library-tarball.js';
import { runOrThrow } from './run-command.js';

/** Bump when the install layout below changes, so old caches are not reused. */
const LAYOUT_VERSION = '1';

/** What npm installs from; everything else in a fixture is source, copied fresh on every run. */
const MANIFESTS = ['package.json', 'package-lock.json'];

/** `npm install`, as quiet as it goes and preferring the local cache, with a tarball or not. */
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline'];

export interface ConsumerApp {
  name: string;
  dir: string;
  /** Releases the app's lock; call once its runs are over. */
  release: () => void;
}

/**
 * Where consumer installs are cached: the OS temp dir, not the repository's `.tmp/`. Node and tsc
 * resolve packages by walking up the directory tree, so an app installed under the repository would
 * silently borrow the repository's own node_modules (Nest 12, Jest 30 types) for anything its own
 * install lacks, and a packaging bug such as a missing dependency would go unseen.
 */
export function consumersCacheDir(): string {
  return process.env.SPOTZEE_CONSUMERS_DIR ?? join(tmpdir(), 'nestjs-spotzee-consumers');
}

function manifestHash(fixtureDir: string): string {
  const hash = createHash('sha256').update(LAYOUT_VERSION);
  for (const file of MANIFESTS) hash.update(`\0${file}\0`).update(readFileSync(join(fixtureDir, file)));
  return hash.digest('hex').slice(0, 16);
}

/** The fixture's dependencies, installed once per distinct package.json + lockfile and then reused. */
async function installDependencies(fixtureDir: string, dir: string): Promise<void> {
  const marker = join(dir, '.dependencies-installed');
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of MANIFESTS) copyFileSync(join(fixtureDir, file), join(dir, file));
  await runOrThrow('npm', NPM_INSTALL, { cwd: dir, killAfterMs: 8 * 60_000 });
  writeFileSync(marker, `${new Date().toISOString()}\n`);
}

/** Relative paths of the files under `dir` whose bytes differ from (or are missing in) `copy`. */
function differingFiles(dir: string, copy: string): string[] {
  const differing: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name));
    const copied = join(copy, path);
    if (!existsSync(copied) || !readFileSync(copied).equals(readFileSync(join(dir, path)))) differing.push(path);
  }
  return differing;
}

/**
 * Installs this run's tarball the way a user adds the package: `npm install <tarball>`, which also
 * brings its dependencies and checks its peer ranges. The copy is named by its hash so npm sees a new
 * spec whenever the library changed. An install whose files already match this build is kept.
 */
async function installTarball(dir: string, tarball: LibraryTarball): Promise<void> {
  const builtDist = join(tarball.stageDir, 'dist');
  const installedPackage = join(dir, 'node_modules', 'nestjs-spotzee');
  const isCurrent = () => existsSync(installedPackage) && differingFiles(builtDist, join(installedPackage, 'dist')).length === 0;
  if (isCurrent()) return;

  const fileName = `nestjs-spotzee-${tarball.sha256.slice(0, 16)}.tgz`;
  const packsDir = join(dir, 'packs');
  mkdirSync(packsDir, { recursive: true });
  copyFileSync(tarball.path, join(packsDir, fileName));
  // npm checks installed packages by their manifests, not their files: an edited or half-written copy
  // of the same version would be left as it is.
  rmSync(installedPackage, { recursive: true, force: true });
  await runOrThrow('npm', [...NPM_INSTALL, `./packs/${fileName}`], { cwd: dir, killAfterMs: 8 * 60_000 });
  for (const old of readdirSync(packsDir)) if (old !== fileName) rmSync(join(packsDir, old), { force: true });
  const stale = differingFiles(builtDist, join(installedPackage, 'dist'));
  if (stale.length > 0) {
    throw new Error(`npm installed a nestjs-spotzee that differs from this build in ${stale.slice(0, 5).join(', ')}`);
  }
}

/** The app's sources, replaced on every run: `src/`, `test/` and configs from the fixture, plus `shared/`. */
function copySources(fixtureDir: string, sharedDir: string, dir: string): void {
  for (const entry of readdirSync(fixtureDir)) {
    if (MANIFESTS.includes(entry)) continue;
    rmSync(join(dir, entry), { recursive: true, force: true });
    cpSync(join(fixtureDir, entry), join(dir, entry), { recursive: true });
  }
  rmSync(join(dir, 'dist'), { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  for (const entry of readdirSync(sharedDir)) cpSync(join(sharedDir, entry), join(dir, 'src', entry));
}

/**
 * A consumer app ready to run against this run's tarball: dependencies from the cache (or installed
 * from the registry on a fresh machine), the tarball installed over them, sources copied fresh. The
 * returned app holds its cache directory's lock until `release()`.
 */
export async function prepareConsumerApp(fixturesDir: string, name: string, tarball: LibraryTarball): Promise<ConsumerApp> {
  const fixtureDir = join(fixturesDir, name);
  const cacheDir = consumersCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  const dir = join(cacheDir, `${name}-${manifestHash(fixtureDir)}`);
  const release = await acquireDirectoryLock(`${dir}.lock`);
  try {
    await installDependencies(fixtureDir, dir);
    await installTarball(dir, tarball);
    copySources(fixtureDir, join(fixturesDir, 'shared'), dir);
    return { name, dir, release };
  } catch (error) {
    release();
    throw error;
  }
}
