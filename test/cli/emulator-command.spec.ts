import { afterEach, describe, expect, it } from '@jest/globals';
import type { CliIo } from '../../lib/cli/cli-io.js';
import { runEmulatorCommand } from '../../lib/cli/emulator.command.js';
import { runCli } from '../../lib/cli/run-cli.js';
import { eventually } from '../support/eventually.js';

/** What the bin prints, as one text per stream. */
function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { cwd: process.cwd(), out: (text) => (out += text), err: (text) => (err += text) },
    out: () => out,
    err: () => err,
  };
}

describe('npx nestjs-spotzee emulator', () => {
  let stop: (() => void) | undefined;
  let exited: Promise<number> | undefined;

  afterEach(async () => {
    stop?.();
    await exited;
    stop = undefined;
    exited = undefined;
  });

  /** Starts the command as the bin would, with Ctrl-C replaced by `stop()`; resolves once it printed its settings. */
  async function start(
    args: string[],
  ): Promise<{ printed: () => string; baseUrl: string; apiKey: string; listUrl: string }> {
    const { io, out } = capture();
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    exited = runEmulatorCommand(args, io, () => stopped);
    await eventually(() => out().includes('received so far'), 'the emulator to print its settings');
    const setting = (name: string): string => new RegExp(`${name}=(\\S+)`).exec(out())![1]!;
    return {
      printed: out,
      baseUrl: setting('SPOTZEE_BASE_URL'),
      apiKey: setting('SPOTZEE_API_KEY'),
      listUrl: /curl (\S+)/.exec(out())![1]!,
    };
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

  it('prints the settings to paste, a line per batch, lists what it received over HTTP, and exits 0 when stopped', async () => {
    const { printed, baseUrl, apiKey, listUrl } = await start(['--port', '0']);
    expect(printed()).toMatch(/^Spotzee emulator listening on http:\/\/127\.0\.0\.1:\d+\/api\/client\n/);
    expect(apiKey).toBe('sk_test_emulator');

    expect((await send(baseUrl, apiKey, ['order_placed', 'stock_reserved'])).status).toBe(204);
    expect(printed()).toContain('batch 1: 2 events (order_placed, stock_reserved), key cli-test-ord…\n');

    expect(listUrl).toBe(`${baseUrl.replace('/api/client', '')}/_emulator/events`);
    const listed = (await (await fetch(listUrl)).json()) as {
      count: number;
      events: Array<{ event: { name: string } }>;
    };
    expect(listed.count).toBe(2);
    expect(listed.events.map(({ event }) => event.name)).toEqual(['order_placed', 'stock_reserved']);
    const filtered = (await (await fetch(`${listUrl}?name=stock_reserved`)).json()) as { count: number };
    expect(filtered.count).toBe(1);

    stop!();
    expect(await exited).toBe(0);
    await expect(fetch(listUrl)).rejects.toThrow();
  });

  it('accepts only the keys given with --api-key, and stays silent per batch with --quiet', async () => {
    const { printed, baseUrl } = await start(['--port', '0', '--api-key', 'sk_live_mine', '--quiet']);
    expect((await send(baseUrl, 'sk_test_emulator', ['refused'])).status).toBe(401);
    expect((await send(baseUrl, 'sk_live_mine', ['accepted'])).status).toBe(204);
    expect(printed()).not.toContain('batch ');
  });

  it.each([
    [['--port', 'abc'], '--port must be an integer from 0 to 65535, got "abc".'],
    [['--api-key', 'pk_browser'], '--api-key takes a secret key (sk_…)'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('refuses %j saying what was wrong (exit code 2)', async (args, message) => {
    const { io, err } = capture();
    expect(await runCli(['emulator', ...args], io)).toBe(2);
    expect(err()).toContain(message);
  });

  it('is listed by the bin, with its help', async () => {
    const { io, out } = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(out()).toMatch(/\n {2}emulator {2}Run a local Spotzee emulator/);
    expect(await runCli(['emulator', '--help'], io)).toBe(0);
    expect(out()).toContain('Usage: npx nestjs-spotzee emulator [options]');
  });
});
