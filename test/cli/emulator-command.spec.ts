import { afterEach, describe, expect, it } from '@jest/globals';
import { runCli } from '../../lib/cli/cli-dispatcher.js';
import type { RunningCommand } from '../../lib/cli/cli-command.js';

/** What the bin prints, line by line. */
function capture(): { out: string[]; err: string[]; output: { out(line: string): void; err(line: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (line) => out.push(line), err: (line) => err.push(line) } };
}

describe('npx nestjs-spotzee emulator', () => {
  let running: RunningCommand | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  async function start(args: string[]): Promise<{ out: string[]; baseUrl: string; apiKey: string }> {
    const { out, output } = capture();
    const result = await runCli(['emulator', ...args], output);
    if (typeof result === 'number') throw new Error(`exited with ${result}: ${out.join('\n')}`);
    running = result;
    const setting = (name: string): string => out.find((line) => line.includes(`${name}=`))!.split('=')[1]!;
    return { out, baseUrl: setting('SPOTZEE_BASE_URL'), apiKey: setting('SPOTZEE_API_KEY') };
  }

  function send(baseUrl: string, apiKey: string, names: string[]): Promise<Response> {
    return fetch(`${baseUrl}/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'spotzee-version': '2026-04-28',
        'idempotency-key': `cli-test-${names.join('-')}`,
      },
      body: JSON.stringify(
        names.map((name) => ({ name, external_id: 'user_1', created_at: '2026-04-28T09:30:00.000Z' })),
      ),
    });
  }

  it('prints the settings to paste, a line per batch, and lists what it received over HTTP', async () => {
    const { out, baseUrl, apiKey } = await start(['--port', '0']);
    expect(out[0]).toMatch(/^Spotzee emulator listening on http:\/\/127\.0\.0\.1:\d+\/api\/client$/);
    expect(apiKey).toBe('sk_test_emulator');

    expect((await send(baseUrl, apiKey, ['order_placed', 'stock_reserved'])).status).toBe(204);
    expect(out.at(-1)).toMatch(/^batch 1: 2 events \(order_placed, stock_reserved\), key cli-test-ord…$/);

    const listUrl = out.find((line) => line.includes('curl '))!.split('curl ')[1]!;
    expect(listUrl).toBe(`${baseUrl.replace('/api/client', '')}/_emulator/events`);
    const listed = (await (await fetch(listUrl)).json()) as {
      count: number;
      events: Array<{ event: { name: string } }>;
    };
    expect(listed.count).toBe(2);
    expect(listed.events.map(({ event }) => event.name)).toEqual(['order_placed', 'stock_reserved']);
    const filtered = (await (await fetch(`${listUrl}?name=stock_reserved`)).json()) as { count: number };
    expect(filtered.count).toBe(1);
  });

  it('accepts only the keys given with --api-key, and stays silent per batch with --quiet', async () => {
    const { out, baseUrl } = await start(['--port', '0', '--api-key', 'sk_live_mine', '--quiet']);
    expect((await send(baseUrl, 'sk_test_emulator', ['refused'])).status).toBe(401);
    expect((await send(baseUrl, 'sk_live_mine', ['accepted'])).status).toBe(204);
    expect(out.filter((line) => line.startsWith('batch '))).toEqual([]);
  });

  it.each([
    [['--port', 'abc'], '--port must be an integer from 0 to 65535, got "abc".'],
    [['--api-key', 'pk_browser'], '--api-key takes a secret key (sk_…)'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j with what was wrong and the usage (exit code 2)', async (args, message) => {
    const { err, output } = capture();
    expect(await runCli(['emulator', ...args], output)).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain('Usage: npx nestjs-spotzee emulator');
  });

  it('lists its commands without one, and names an unknown one', async () => {
    const { out, err, output } = capture();
    expect(await runCli([], output)).toBe(2);
    expect(out.join('\n')).toMatch(/Commands:\n {2}emulator {2}run a local Spotzee emulator/);
    expect(await runCli(['emulatr'], output)).toBe(2);
    expect(err.join('\n')).toContain('Unknown command "emulatr"');
  });
});
