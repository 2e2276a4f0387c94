/**
 * The typed API, proven by the compiler: each fixture program is type-checked with `tsc`'s own API.
 * `accepted.ts` files must compile without a single diagnostic; in `refused.ts` files every statement
 * after an `// error: <text>` comment must fail with a message containing <text>, and nothing else may.
 */
import { describe, expect, it } from '@jest/globals';
import { compileFixtures, expectedErrors, type FileDiagnostic } from './support/compile-fixtures.js';

const FIXTURES = 'test/catalog/fixtures/types';

function unexpected(diagnostics: readonly FileDiagnostic[], allowedLines: ReadonlySet<number>): string[] {
  return diagnostics.filter(({ line }) => !allowedLines.has(line)).map(({ line, message }) => `${line}: ${message}`);
}

describe.each([
  ['a declared catalogue (interface SpotzeeEvents)', 'declared', ['catalogue.ts']],
  ['no declared catalogue', 'undeclared', []],
])('typed events with %s', (_title, folder, support) => {
  const accepted = `${FIXTURES}/${folder}/accepted.ts`;
  const refused = `${FIXTURES}/${folder}/refused.ts`;
  // One program per folder: declaration merging is program-wide, as it is in a user's app.
  const diagnostics = compileFixtures([...support.map((file) => `${FIXTURES}/${folder}/${file}`), accepted, refused]);

  it('compiles every accepted use without a diagnostic', () => {
    expect(diagnostics.get(accepted)).toEqual([]);
    for (const file of support) expect(diagnostics.get(`${FIXTURES}/${folder}/${file}`)).toEqual([]);
  });

  const expected = expectedErrors(refused);
  it.each(expected.map((error) => [error.line, error.text]))('refuses line %i with "%s"', (line, text) => {
    const messages = (diagnostics.get(refused) ?? []).filter((d) => d.line === line).map((d) => d.message);
    expect(messages.join('\n')).toContain(text);
  });

  it('reports no error on any other line of the refused file', () => {
    expect(unexpected(diagnostics.get(refused) ?? [], new Set(expected.map(({ line }) => line)))).toEqual([]);
  });
});
