/**
 * The sample app's committed catalogue snapshot (sample-app/spotzee-events.json) matches its code:
 * the same check its CI would run, `npx nestjs-spotzee catalog --check`.
 */
import { describe, expect, it } from '@jest/globals';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../lib/cli/run-cli.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the sample app event catalogue', () => {
  it('passes npx nestjs-spotzee catalog --check against its committed spotzee-events.json', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['catalog', '--check', '--project', 'sample-app/tsconfig.json'], {
      cwd: repoRoot,
      out: (text) => (stdout += text),
      err: (text) => (stderr += text),
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe('✓ No breaking changes to the event catalogue (6 events, sample-app/spotzee-events.json).\n');
  });
});
