import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { acquireDirectoryLock } from './directory-lock.js';
import type { LibraryTarball } from './library-tarball.js';
import { linkTree } from './link-tree.js';
import { runOrThrow } from './run-command.js';

/** Bump when the install layout below changes, so old caches are not reused. */
const LAYOUT_VERSION = '2';

/** What npm installs from; everything else in a fixture is source, copied fresh on every run. */
const MANIFESTS = ['package.json', 'package-lock.json'];

/** Files npm rewrites in place when the tarball is added: real copies in a run, never hard links. */
const REWRITTEN_BY_NPM = new Set([...MANIFESTS, 'node_modules/.package-lock.json']);

/** `npm install`, as quiet as it goes and preferring the local cache, with a tarball or not. */
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline'];

const INSTALLED_MARKER = '.dependencies-installed';

/**
 * Where installed dependencies are cached: the OS temp dir, not the repository's `.tmp/`. Node and tsc
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

/**
 * The fixture's dependencies, installed once per distinct package.json + lockfile into the cache, and
 * never changed afterwards. The lock is held only while installing, so runs on one machine (several
 * maintainers, or CI beside a session) wait for each other only the first time.
 */
async function cachedDependencies(fixtureDir: string, name: string): Promise<string> {
  const cacheDir = consumersCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  const dir = join(cacheDir, `${name}-${manifestHash(fixtureDir)}`);
  if (existsSync(join(dir, INSTALLED_MARKER))) return dir;
  const release = await acquireDirectoryLock(`${dir}.lock`);
  try {
    if (!existsSync(join(dir, INSTALLED_MARKER))) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const file of MANIFESTS) copyFileSync(join(fixtureDir, file), join(dir, file));
      await runOrThrow('npm', NPM_INSTALL, { cwd: dir, killAfterMs: 8 * 60_000 });
      writeFileSync(join(dir, INSTALLED_MARKER), `${new Date().toISOString()}\n`);
    }
  } finally {
    release();
  }
  return dir;
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
 * One consumer app for one test run, in a directory of its own so that concurrent runs never share
 * an installed tarball or compiled output. `open()` lays out the cached dependencies (installed from
 * the registry on a fresh machine, which can overlap the library's build); `installLibrary()` adds
 * this run's tarball the way a user adds the package, with `npm install <tarball>` (which also brings
 * its dependencies and checks its peer ranges), and copies the app's sources.
 */
export class ConsumerApp {
  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly fixturesDir: string,
    private readonly withSharedScripts: boolean,
  ) {}

  /**
   * `withSharedScripts: false` keeps the app's sources exactly as its fixture has them (an app as
   * `nest new` generates it must not gain the scripts in `shared/`).
   */
  static async open(
    fixturesDir: string,
    name: string,
    runDir: string,
    { withSharedScripts = true }: { withSharedScripts?: boolean } = {},
  ): Promise<ConsumerApp> {
    const cached = await cachedDependencies(join(fixturesDir, name), name);
    const dir = join(runDir, name);
    linkTree(cached, dir, REWRITTEN_BY_NPM);
    return new ConsumerApp(name, dir, fixturesDir, withSharedScripts);
  }

  async installLibrary(tarball: LibraryTarball): Promise<void> {
    const installed = join(this.dir, 'node_modules', 'nestjs-spotzee');
    await runOrThrow('npm', [...NPM_INSTALL, tarball.path], { cwd: this.dir, killAfterMs: 8 * 60_000 });
    const stale = differingFiles(join(tarball.stageDir, 'dist'), join(installed, 'dist'));
    if (stale.length > 0) {
      throw new Error(`npm installed a nestjs-spotzee that differs from this build in ${stale.slice(0, 5).join(', ')}`);
    }
    this.copySources();
  }

  /** `src/`, `test/` and configs from the fixture, plus (unless opted out) the scripts in `shared/` into `src/`. */
  private copySources(): void {
    const fixtureDir = join(this.fixturesDir, this.name);
    for (const entry of readdirSync(fixtureDir)) {
      if (!MANIFESTS.includes(entry)) cpSync(join(fixtureDir, entry), join(this.dir, entry), { recursive: true });
    }
    if (!this.withSharedScripts) return;
    const sharedDir = join(this.fixturesDir, 'shared');
    for (const entry of readdirSync(sharedDir)) cpSync(join(sharedDir, entry), join(this.dir, 'src', entry));
  }
}
