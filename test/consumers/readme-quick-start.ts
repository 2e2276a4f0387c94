import { readFileSync } from 'node:fs';

/**
 * The README's quick start for a fresh Nest app, read from README.md itself: every fenced block
 * preceded by `<!-- quick-start:shell -->` (commands, one a line, `#` comments allowed) or
 * `<!-- quick-start:edit src/file.ts -->` (a snippet to merge into that generated file), in order.
 */
export type QuickStartStep = { kind: 'shell'; commands: string[] } | { kind: 'edit'; file: string; snippet: string };

const MARKED_BLOCK = /<!-- quick-start:(shell|edit)(?: (\S+))? -->\n```\w*\n([\s\S]*?)\n```/g;

export function readQuickStart(readmePath: string): QuickStartStep[] {
  const steps: QuickStartStep[] = [];
  for (const [, kind, file, body] of readFileSync(readmePath, 'utf8').matchAll(MARKED_BLOCK)) {
    if (kind === 'shell') {
      const commands = body
        .split('\n')
        .map((line) => line.replace(/\s+#.*$/, '').trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
      steps.push({ kind: 'shell', commands });
    } else {
      if (file === undefined) throw new Error('A <!-- quick-start:edit --> marker must name the file it edits.');
      steps.push({ kind: 'edit', file, snippet: body });
    }
  }
  return steps;
}

/**
 * Merges a README snippet into a generated file the way its comment line tells a reader to: its
 * imports join the file's imports, and the rest replaces the declaration it starts with (from the
 * generated line equal to the snippet's first line to the next one equal to its last line),
 * indented like the line it replaces. Throws when the generated file has no such declaration: then
 * the README no longer matches what `nest new` generates.
 */
export function applySnippet(generated: string, snippet: string, file: string): string {
  const snippetLines = snippet.split('\n').filter((line, index) => !(index === 0 && line.startsWith('//')));
  const imports = snippetLines.filter((line) => line.startsWith('import '));
  const body = trimBlankLines(snippetLines.filter((line) => !line.startsWith('import ')));
  const lines = generated.split('\n');

  const first = lines.findIndex((line) => line.trim() === body[0].trim());
  const last = first < 0 ? -1 : lines.findIndex((line, index) => index >= first && line.trim() === body.at(-1)?.trim());
  if (first < 0 || last < 0) {
    throw new Error(
      `The README's snippet for ${file} replaces "${body[0].trim()}" … "${body.at(-1)?.trim()}", which the generated file does not have:\n${generated}`,
    );
  }
  const indent = /^\s*/.exec(lines[first])?.[0] ?? '';
  lines.splice(first, last - first + 1, ...body.map((line) => (line === '' ? line : indent + line)));

  const lastImport = lines.reduce((found, line, index) => (line.startsWith('import ') ? index : found), -1);
  const missing = imports.filter((line) => !lines.includes(line));
  lines.splice(lastImport + 1, 0, ...missing);
  return lines.join('\n');
}

function trimBlankLines(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start].trim() === '') start++;
  while (end > start && lines[end - 1].trim() === '') end--;
  if (start === end) throw new Error('A quick-start snippet has imports only: nothing says where the rest goes.');
  return lines.slice(start, end);
}

/** `curl [-H 'name: value']… URL`, the only request the quick start makes, as fetch arguments. */
export function parseCurl(command: string): { url: string; headers: Record<string, string> } {
  const words = [...command.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]);
  if (words[0] !== 'curl') throw new Error(`Not a curl command: ${command}`);
  const headers: Record<string, string> = {};
  let url: string | undefined;
  for (let index = 1; index < words.length; index++) {
    const word = words[index];
    if (word === '-H' || word === '--header') {
      const [name, ...value] = words[++index].split(':');
      headers[name.trim().toLowerCase()] = value.join(':').trim();
    } else if (!word.startsWith('-') && url === undefined) {
      url = word;
    } else {
      throw new Error(`The quick start's curl uses "${word}", which this test does not replay: ${command}`);
    }
  }
  if (url === undefined) throw new Error(`No URL in: ${command}`);
  return { url, headers };
}
