import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface FileDiagnostic {
  /** 1-based. */
  line: number;
  message: string;
}

/**
 * Type-checks fixture files as one program, with the repository's compiler options (so
 * `nestjs-spotzee` is the library's sources) and nothing else: a catalogue declared by one fixture
 * program never leaks into another. Returns the diagnostics per file, relative to the repository.
 */
export function compileFixtures(files: readonly string[]): Map<string, FileDiagnostic[]> {
  const config = ts.readConfigFile(join(repoRoot, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent({ ...config.config, include: [], files: [] }, ts.sys, repoRoot);
  const program = ts.createProgram({ rootNames: files.map((file) => join(repoRoot, file)), options: parsed.options });
  const byFile = new Map<string, FileDiagnostic[]>(files.map((file) => [file, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file ? relative(repoRoot, diagnostic.file.fileName) : '(global)';
    const line = diagnostic.file ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1 : 0;
    const list = byFile.get(file) ?? [];
    list.push({ line, message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n') });
    byFile.set(file, list);
  }
  return byFile;
}

export interface ExpectedError {
  /** The line the error must be reported on (the one after the `// error:` comment). */
  line: number;
  text: string;
}

/** The `// error: <text>` annotations of a fixture: the next line must fail with a message containing <text>. */
export function expectedErrors(file: string): ExpectedError[] {
  return readFileSync(join(repoRoot, file), 'utf8')
    .split('\n')
    .flatMap((content, index) => {
      const match = /^\s*\/\/ error: (.+)$/.exec(content);
      return match ? [{ line: index + 2, text: match[1]!.trim() }] : [];
    });
}
