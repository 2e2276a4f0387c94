import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { request } from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { SpotzeeEmulator } from '../../lib/emulator/index.js';
import { SILENT_LOGGER } from '../../lib/delivery/index.js';
import { SpotzeeModule, SpotzeeTracker } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { suiteEmulator } from '../support/suite-emulator.js';

/**
 * The inspector in a real browser: Debian's `chromium` (apt-get install -y chromium), driven by
 * puppeteer-core. `CHROMIUM_PATH` points elsewhere. `SPOTZEE_UPDATE_SCREENSHOT=1` refreshes the README's
 * screenshot (docs/inspector.png); otherwise it goes to the temp directory.
 */
// The callbacks below run in the page. This project compiles without the DOM library, so the little of it
// they use is declared here, for this file only.
interface PageNode {
  textContent: string | null;
  hidden: boolean;
  disabled: boolean;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): PageNode | null;
  querySelectorAll(selector: string): ArrayLike<PageNode> & Iterable<PageNode>;
}
declare const document: {
  querySelectorAll(selector: string): ArrayLike<PageNode>;
  getElementById(id: string): PageNode | null;
};
declare const window: Record<string, unknown>;

const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

function chromiumPath(): string {
  const found = CHROMIUM_CANDIDATES.find((candidate) => candidate !== undefined && existsSync(candidate));
  if (found === undefined) {
    throw new Error(
      'The inspector browser test needs Chromium: `apt-get install -y chromium` (Debian), or set CHROMIUM_PATH to a Chromium binary.',
    );
  }
  return found;
}

/** What the page shows for each request, newest first, read from the DOM the way a user sees it. */
async function shownRequests(page: Page): Promise<Array<{ key: string; status: string; badges: string[] }>> {
  return page.$$eval('#requests > li.request:not([hidden])', (nodes) =>
    nodes.map((node) => ({
      key: (node as unknown as PageNode).dataset.key ?? '',
      status: node.querySelector('.badge.status')?.textContent ?? '',
      badges: [...node.querySelectorAll('.badge:not(.status)')].map((badge) => badge.textContent ?? ''),
    })),
  );
}

async function visibleEventNames(page: Page): Promise<string[]> {
  return page.$$eval('#requests > li.request:not([hidden]) .event:not([hidden]) .event-name', (nodes) =>
    nodes.map((node) => node.textContent ?? ''),
  );
}

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector, { count: 3 });
  await page.keyboard.press('Backspace');
  if (text !== '') await page.type(selector, text);
}

describe('the emulator inspector in a real browser', () => {
  const emulator = suiteEmulator();
  let browser: Browser;
  let page: Page;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    browser = await puppeteer.launch({
      executablePath: chromiumPath(),
      headless: true,
      // Root in CI containers cannot use Chromium's sandbox; /dev/shm is small there.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    await page?.close();
    await app?.close();
    app = undefined;
  });

  async function boot(): Promise<SpotzeeTracker> {
    const target = emulator();
    const moduleRef = await Test.createTestingModule({
      imports: [
        SpotzeeModule.forRoot({
          apiKey: target.apiKey,
          baseUrl: target.baseUrl,
          logger: SILENT_LOGGER,
          flushIntervalMs: 10,
          maxAttempts: 100,
          retryBaseMs: 5,
          retryMaxMs: 50,
          rateLimitJitterMs: 0,
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app.get(SpotzeeTracker);
  }

  async function open(): Promise<Page> {
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    await page.goto(emulator().inspectorUrl);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'Live');
    return page;
  }

  it('shows events sent through the library live, filters them, and shows a fault button make the next batch retry', async () => {
    const tracker = await boot();
    const page = await open();
    expect(await page.$eval('#empty', (node) => (node as unknown as PageNode).hidden)).toBe(false);

    // Event data is user input: this must show up as text and never run.
    const hostile = {
      note: '<img src=x onerror="window.__pwned = 1">',
      html: '</pre><script>window.__pwned = 2</script>',
    };
    tracker.track('order_placed', { externalId: 'cus_1', data: { order_id: 'ord_1', total: 42 } });
    tracker.track('order_placed', { externalId: 'cus_2', data: { order_id: 'ord_2', total: 7 } });
    tracker.track('signed_up', {
      externalId: 'cus_3',
      anonymousId: 'anon_9',
      data: hostile,
      identify: { email: 'ada@example.com' },
    });
    await tracker.flush();
    // Pushed, not polled: the page shows them within a second of Spotzee (the emulator) accepting them.
    await page.waitForFunction(() => document.querySelectorAll('.event').length === 3, { timeout: 1000 });

    expect(await visibleEventNames(page)).toEqual(['order_placed', 'order_placed', 'signed_up']);
    const batch = emulator().batches[0]!;
    expect(await shownRequests(page)).toEqual([{ key: batch.idempotencyKey, status: '204', badges: [] }]);
    expect(await page.$eval('#count-events', (node) => node.textContent)).toBe('3');
    expect(await page.$eval('#count-batches', (node) => node.textContent)).toBe('1');
    const text = await page.$eval('#requests', (node) => node.textContent ?? '');
    expect(text).toContain('<img src=x onerror=\\"window.__pwned = 1\\">');
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined();
    expect(await page.$$('#requests img, #requests script')).toEqual([]);

    // The raw JSON of an event is one click away, exactly as sent.
    await page.click('.event:last-child details summary');
    const raw = await page.$eval('.event:last-child details pre', (node) => node.textContent ?? '');
    expect(JSON.parse(raw)).toEqual(JSON.parse(batch.body)[2]);

    // Filters: by event name, then by contact.
    await typeInto(page, '#filter-event', 'signed');
    expect(await visibleEventNames(page)).toEqual(['signed_up']);
    await typeInto(page, '#filter-event', '');
    await typeInto(page, '#filter-contact', 'cus_2');
    expect(await visibleEventNames(page)).toEqual(['order_placed']);
    expect(await page.$eval('#shown', (node) => node.textContent)).toBe('Showing 1 of 1 requests.');
    await page.click('#clear-filters');
    expect(await visibleEventNames(page)).toHaveLength(3);

    // "Next request: 503": the library retries the same bytes under the same key, and the page shows both.
    await page.click('#fault-503');
    await eventually(() => emulator().pendingFaults === 1, 'the 503 to be armed');
    tracker.track('payment_failed', { externalId: 'cus_1', data: { order_id: 'ord_1' } });
    await tracker.flush();
    const retried = emulator().batches[1]!.idempotencyKey!;
    await page.waitForFunction(
      (key) => document.querySelectorAll(`li.request[data-key="${key}"]`).length === 2,
      {},
      retried,
    );
    expect((await shownRequests(page)).slice(0, 2)).toEqual([
      { key: retried, status: '204', badges: ['retry · attempt 2'] },
      { key: retried, status: '503', badges: ['fault: status'] },
    ]);

    // "Lose the response": accepted, the answer never arrives, the retry is a replay.
    await page.click('#fault-lost');
    await eventually(() => emulator().pendingFaults === 1, 'the lost response to be armed');
    tracker.track('order_cancelled', { externalId: 'cus_2', data: { order_id: 'ord_2' } });
    await tracker.flush();
    const replayed = emulator().batches[2]!.idempotencyKey!;
    await page.waitForFunction(
      (key) => document.querySelectorAll(`li.request[data-key="${key}"]`).length === 2,
      {},
      replayed,
    );
    expect((await shownRequests(page)).slice(0, 2)).toEqual([
      { key: replayed, status: '204', badges: ['retry · attempt 2', 'replayed'] },
      { key: replayed, status: 'no response', badges: ['fault: lost response'] },
    ]);
    await page.waitForFunction(() => document.getElementById('count-replays')?.textContent === '1');

    // A 429 with the Retry-After typed in the page.
    await typeInto(page, '#retry-after', '0.5');
    await page.click('#fault-429');
    await eventually(() => emulator().pendingFaults === 1, 'the 429 to be armed');
    tracker.track('subscription_renewed', { externalId: 'cus_3', data: { plan: 'pro' } });
    await tracker.flush();
    const limited = emulator().requests.find((request) => request.status === 429)!;
    expect(limited.headers).toBeDefined();
    await page.waitForFunction(
      (key) => document.querySelectorAll(`li.request[data-key="${key}"]`).length === 2,
      {},
      limited.idempotencyKey,
    );
    expect((await shownRequests(page))[1]).toEqual({
      key: limited.idempotencyKey,
      status: '429',
      badges: ['fault: rate limit'],
    });

    // Clicking a key narrows the list to that batch's attempts.
    await page.click(`li.request[data-key="${retried}"] .key`);
    expect((await shownRequests(page)).map((request) => request.status)).toEqual(['204', '503']);
    await page.click('#clear-filters');

    await page.click('.request:first-child .event details summary');
    const shot = await page.screenshot({ type: 'png' });
    const path =
      process.env.SPOTZEE_UPDATE_SCREENSHOT === '1'
        ? join(process.cwd(), 'docs', 'inspector.png')
        : join(tmpdir(), `spotzee-inspector-${process.pid}.png`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, shot);
    expect(readFileSync(path).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('takes the emulator down and up from the page while the library keeps retrying', async () => {
    const tracker = await boot();
    const page = await open();
    await page.click('#go-down');
    await eventually(() => !emulator().isUp, 'the emulator to go down');
    await page.waitForFunction(() => document.getElementById('emulator-state')?.textContent === 'Emulator: down');
    expect(await page.$eval('#go-up', (node) => (node as unknown as PageNode).disabled)).toBe(false);

    tracker.track('order_placed', { externalId: 'cus_1' });
    const flushed = tracker.flush();
    await eventually(() => tracker.stats().requests >= 2, 'the library to retry against the outage');
    expect(emulator().requests).toEqual([]);

    await page.click('#go-up');
    await flushed;
    expect(tracker.stats()).toMatchObject({ delivered: 1, pending: 0 });
    await page.waitForFunction(() => document.getElementById('emulator-state')?.textContent === 'Emulator: up');
    await page.waitForFunction(() => document.querySelectorAll('.event').length === 1);
  });
});

describe('the inspector over HTTP', () => {
  const emulator = suiteEmulator();

  const control = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${emulator().inspectorUrl}control`, { method: 'POST', headers, body });

  it('serves the page, its stylesheet and script itself, under a policy that allows nothing else', async () => {
    const page = await fetch(emulator().inspectorUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
    const html = await page.text();
    const css = await (await fetch(`${emulator().inspectorUrl}inspector.css`)).text();
    const js = await (await fetch(`${emulator().inspectorUrl}inspector.js`)).text();
    // No CDN, no external font, nothing fetched from elsewhere: it works offline.
    for (const asset of [html, css, js]) expect(asset).not.toMatch(/https?:\/\//);
    expect(js).not.toContain('innerHTML');
    // Every input has a label.
    for (const id of html.matchAll(/<input id="([^"]+)"/g)) expect(html).toContain(`<label for="${id[1]}">`);
  });

  it('acts only on JSON from its own page, with an answer that says what is accepted', async () => {
    expect((await control('{"action":"down"}', { 'content-type': 'text/plain' })).status).toBe(403);
    const crossSite = await control('{"action":"down"}', {
      'content-type': 'application/json',
      origin: 'https://evil.example',
    });
    expect(crossSite.status).toBe(403);
    const unknown = await control('{"action":"fault","fault":"meteor"}');
    expect([unknown.status, await unknown.text()]).toEqual([
      400,
      '"fault" must be one of status_503, rate_limit, lost_response, reset.',
    ]);
    expect(emulator().isUp).toBe(true);
    const armed = await control('{"action":"fault","fault":"rate_limit","retryAfterSeconds":3}');
    expect(armed.status).toBe(200);
    expect(emulator().pendingFaults).toBe(1);
    // DNS rebinding: fetch() cannot forge Host, a plain request can.
    const rebound = await new Promise<number>((resolve, reject) => {
      const url = new URL(emulator().inspectorUrl);
      request({ host: url.hostname, port: url.port, path: '/', headers: { host: 'rebind.evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(421);
  });

  it('stays up while the emulator is down, and can bring it back', async () => {
    await emulator().down();
    expect((await fetch(emulator().inspectorUrl)).status).toBe(200);
    const up = await control('{"action":"up"}');
    expect(((await up.json()) as { up: boolean }).up).toBe(true);
    expect(emulator().isUp).toBe(true);
  });

  it('can be turned off', async () => {
    const quiet = await SpotzeeEmulator.start({ inspector: false });
    try {
      expect(() => quiet.inspectorUrl).toThrow(
        'SpotzeeEmulator: the inspector is off (started with inspector: false).',
      );
    } finally {
      await quiet.stop();
    }
  });
});
