// Shared by `npm start` and `npm run demo`: builds the library (the same as `npm run build`) and then
// the sample app into dist-sample/. The sample app imports 'nestjs-spotzee' by name, which Node
// resolves through the package's self-reference to dist/esm: the library has to be built first.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * Output is kept quiet unless a step fails; then the compiler's output is printed and the process
 * exits 1, since neither script can do anything without the build.
 */
export function buildLibraryAndSample() {
  console.log('Building the library and the sample app…');
  try {
    run('the library', [join(root, 'scripts/build.mjs')]);
    rmSync(join(root, 'dist-sample'), { recursive: true, force: true });
    run('the sample app', [tsc, '-p', join(root, 'tsconfig.sample.json')]);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}

/** A file URL for a compiled sample-app module, e.g. `sampleModule('app.module.js')`. */
export function sampleModule(path) {
  return pathToFileURL(join(root, 'dist-sample', path)).href;
}

function run(what, args) {
  try {
    execFileSync(process.execPath, args, { cwd: root, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    throw new Error(`Building ${what} failed${output ? `:\n${output}` : `: ${error.message}`}`, { cause: error });
  }
}
