import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../lib/cli/run-cli.js';
import { repoRoot } from './compile-fixtures.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A copy of a fixture app under the repository's `.tmp/` (so `@nestjs/common` and `zod` resolve from
 * its node_modules, like in a user's project), with a tsconfig that maps `nestjs-spotzee` to the
 * library's sources. Tests edit its files and run the `nestjs-spotzee` CLI in it.
 */
export class FixtureApp {
  private readonly originals = new Map<string, string>();

  private constructor(readonly dir: string) {}

  static copy(name: string): FixtureApp {
    mkdirSync(join(repoRoot, '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(repoRoot, '.tmp', `catalog-${name}-`));
    cpSync(join(repoRoot, 'test/catalog/fixtures/apps', name), dir, { recursive: true });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: join(repoRoot, 'tsconfig.json'), include: ['src'], exclude: [] }, null, 2),
    );
    return new FixtureApp(dir);
  }

  run(...args: string[]): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    return runCli(args, {
      cwd: this.dir,
      out: (text) => (stdout += text),
      err: (text) => (stderr += text),
    }).then((code) => ({ code, stdout, stderr }));
  }

  read(file: string): string {
    return readFileSync(join(this.dir, file), 'utf8');
  }

  write(file: string, content: string): void {
    if (!this.originals.has(file)) {
      let original = '';
      try {
        original = this.read(file);
      } catch {
        // A new file: restoring empties it, which declares nothing.
      }
      this.originals.set(file, original);
    }
    writeFileSync(join(this.dir, file), content);
  }

  /** Replaces text in a source file; fails loudly when the text is not there, so a stale edit cannot pass. */
  edit(file: string, search: string, replacement: string): void {
    const content = this.read(file);
    if (!content.includes(search)) {
      throw new Error(`${file} does not contain ${JSON.stringify(search)}`);
    }
    this.write(file, content.replace(search, replacement));
  }

  /** Puts back every file edited since the last restore. */
  restore(): void {
    for (const [file, content] of this.originals) writeFileSync(join(this.dir, file), content);
    this.originals.clear();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
