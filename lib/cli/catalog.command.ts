import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { extractCatalog, type ExtractedCatalog } from '../catalog/catalog-extractor.js';
import { describeSource, diffCatalogs } from '../catalog/catalog-diff.js';
import { findNamePitfalls } from '../catalog/event-name-pitfalls.js';
import { renderCatalogMarkdown } from '../catalog/catalog-markdown.js';
import {
  DEFAULT_CATALOG_FILE,
  formatCatalogSnapshot,
  parseCatalogSnapshot,
  type CatalogSnapshot,
} from '../catalog/catalog-snapshot.js';
import type { TypeScript } from '../catalog/type-describer.js';
import type { CompilerHost, CompilerOptions, SourceFile } from 'typescript';
import { CliUsageError, EXIT, type CliIo } from './cli-io.js';

interface CatalogArgs {
  project?: string;
  out?: string;
  check: boolean;
  /** `true` for stdout, else a file. */
  markdown?: true | string;
  help: boolean;
}

const HELP = `Usage: npx nestjs-spotzee catalog [options]

Reads the event catalogue from your sources (the SpotzeeEvents interface, every @EmitsEvent and
SpotzeeTracker.track() call, the types their data mappers return, schemas registered per event)
and writes it to spotzee-events.json, next to the tsconfig. Commit that file.

Options:
  -p, --project <tsconfig>  The tsconfig that lists your sources (default: tsconfig.json in this folder).
  -o, --out <file>          The snapshot file (default: spotzee-events.json next to the tsconfig).
      --check               Compare the code with the snapshot instead of writing it. Exits 1 naming
                            each breaking change (an event removed or renamed, a field removed, a
                            field's type changed, a field made optional); additions are listed and pass.
      --markdown [file]     Render the catalogue as a Markdown page (to the file, or to stdout).
  -h, --help                Show this help.
`;

export async function runCatalogCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  const ts = await loadTypeScript(io.cwd);
  const configPath = findConfig(ts, io.cwd, args.project);
  const projectDir = dirname(configPath);
  const snapshotPath = resolve(args.out === undefined ? projectDir : io.cwd, args.out ?? DEFAULT_CATALOG_FILE);
  const shown = (path: string) => relative(io.cwd, path) || path;

  const extracted = readCatalog(ts, configPath, projectDir);
  const uses = new Map(
    Object.entries(extracted.snapshot.events).map(([name, event]) => [
      name,
      event.emittedBy.length > 0 ? event.emittedBy.map(describeSource) : ['SpotzeeEvents'],
    ]),
  );
  for (const warning of [...extracted.warnings, ...findNamePitfalls(uses)]) {
    io.err(`warning: ${warning}\n`);
  }
  const names = Object.keys(extracted.snapshot.events);

  if (args.markdown !== undefined) {
    const markdown = renderCatalogMarkdown(extracted.snapshot);
    if (args.markdown === true) {
      io.out(markdown);
    } else {
      writeFileSync(resolve(io.cwd, args.markdown), markdown);
      io.err(`Wrote ${args.markdown}: ${names.length} events.\n`);
    }
    if (!args.check) {
      return EXIT.ok;
    }
  }
  if (args.check) {
    return check(extracted.snapshot, snapshotPath, shown(snapshotPath), io);
  }
  const text = formatCatalogSnapshot(extracted.snapshot);
  const unchanged = existsSync(snapshotPath) && readFileSync(snapshotPath, 'utf8') === text;
  if (!unchanged) {
    writeFileSync(snapshotPath, text);
  }
  io.out(
    `${unchanged ? 'Unchanged' : 'Wrote'} ${shown(snapshotPath)}: ${names.length} event${names.length === 1 ? '' : 's'}` +
      `${names.length > 0 ? ` (${names.join(', ')})` : ''}.\n`,
  );
  return EXIT.ok;
}

function check(current: CatalogSnapshot, snapshotPath: string, shown: string, io: CliIo): number {
  if (!existsSync(snapshotPath)) {
    io.err(
      `No catalogue snapshot at ${shown}. Run npx nestjs-spotzee catalog to create it from the code, and commit it.\n`,
    );
    return EXIT.failed;
  }
  let committed: CatalogSnapshot;
  try {
    committed = parseCatalogSnapshot(readFileSync(snapshotPath, 'utf8'), shown);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const changes = diffCatalogs(committed, current);
  const breaking = changes.filter((change) => change.breaking);
  const other = changes.filter((change) => !change.breaking);
  if (breaking.length > 0) {
    io.err(
      `✗ ${breaking.length} breaking change${breaking.length === 1 ? '' : 's'} to the event catalogue against ${shown}:\n` +
        breaking.map((change) => `  - ${change.message}\n`).join('') +
        'Journeys and segments in Spotzee match event names and data fields exactly. Keep the old name and fields, ' +
        `or, if the change is agreed with the people who build on these events, run npx nestjs-spotzee catalog and commit ${shown}.\n`,
    );
  }
  if (other.length > 0) {
    io.out(
      `${other.length} compatible change${other.length === 1 ? '' : 's'}:\n` +
        other.map((change) => `  + ${change.message}\n`).join('') +
        (breaking.length === 0 ? `Run npx nestjs-spotzee catalog and commit ${shown} to record them.\n` : ''),
    );
  }
  if (breaking.length > 0) {
    return EXIT.failed;
  }
  const count = Object.keys(current.events).length;
  io.out(`✓ No breaking changes to the event catalogue (${count} event${count === 1 ? '' : 's'}, ${shown}).\n`);
  return EXIT.ok;
}

function readCatalog(ts: TypeScript, configPath: string, projectDir: string): ExtractedCatalog {
  const problems: string[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      problems.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!parsed || problems.length > 0) {
    throw new CliUsageError(`cannot read ${configPath}: ${problems.join('; ') || 'unknown error'}`);
  }
  const fatal = parsed.errors.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (fatal.length > 0) {
    throw new CliUsageError(
      `${configPath}: ${fatal.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`,
    );
  }
  const options = { ...parsed.options, noEmit: true };
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options,
    host: cachingHost(ts, options),
    ...(parsed.projectReferences ? { projectReferences: parsed.projectReferences } : {}),
  });
  return extractCatalog(ts, program, projectDir);
}

/**
 * Parsed files by path, reused while their text is unchanged: a process that reads the catalogue
 * more than once (a watch script, the test suite) parses Nest's and the library's declarations once.
 */
const parsedFiles = new Map<string, SourceFile>();

function cachingHost(ts: TypeScript, options: CompilerOptions): CompilerHost {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const key = `${JSON.stringify(languageVersion)}\u0000${fileName}`;
    const text = host.readFile(fileName);
    const cached = parsedFiles.get(key);
    if (cached && text !== undefined && cached.text === text) {
      return cached;
    }
    const file = getSourceFile(fileName, languageVersion, onError, shouldCreate);
    if (file) parsedFiles.set(key, file);
    return file;
  };
  return host;
}

function findConfig(ts: TypeScript, cwd: string, project: string | undefined): string {
  if (project !== undefined) {
    const path = resolve(cwd, project);
    const file = existsSync(path) && !path.endsWith('.json') ? join(path, 'tsconfig.json') : path;
    if (!existsSync(file)) {
      throw new CliUsageError(`--project ${project}: no such file. Point it at the tsconfig that lists your sources.`);
    }
    return file;
  }
  const found = ts.findConfigFile(cwd, ts.sys.fileExists, 'tsconfig.json');
  if (!found) {
    throw new CliUsageError(
      `no tsconfig.json in ${cwd} or above. Run it from your project, or pass --project <tsconfig>.`,
    );
  }
  return found;
}

/**
 * TypeScript is an optional peer, needed only here: the project's own copy first (the compiler its
 * code is written for), else whichever copy resolves from this package.
 */
async function loadTypeScript(cwd: string): Promise<TypeScript> {
  try {
    return createRequire(join(cwd, 'package.json'))('typescript') as TypeScript;
  } catch {
    // Not installed in the project: try from here.
  }
  try {
    const loaded = (await import('typescript')) as TypeScript & { default?: TypeScript };
    return loaded.default ?? loaded;
  } catch {
    throw new CliUsageError(
      'needs the TypeScript compiler. Install it in your project: npm install --save-dev typescript',
    );
  }
}

function parseArgs(argv: readonly string[]): CatalogArgs {
  const args: CatalogArgs = { check: false, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined || next.startsWith('-')) {
        throw new CliUsageError(`${flag} needs a value. Run npx nestjs-spotzee catalog --help for the options.`);
      }
      return next;
    };
    switch (flag) {
      case '-p':
      case '--project':
        args.project = value();
        break;
      case '-o':
      case '--out':
        args.out = value();
        break;
      case '--check':
        args.check = true;
        break;
      case '--markdown': {
        const next = inline ?? argv[i + 1];
        if (next !== undefined && !next.startsWith('-')) {
          args.markdown = next;
          if (inline === undefined) i += 1;
        } else {
          args.markdown = true;
        }
        break;
      }
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        throw new CliUsageError(`unknown option ${arg}. Run npx nestjs-spotzee catalog --help for the options.`);
    }
  }
  return args;
}
