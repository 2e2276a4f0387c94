import { afterEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { ExpressAdapter } from '@nestjs/platform-express';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { SILENT_LOGGER } from '../../lib/delivery/index.js';
import { SpotzeeModule, SpotzeeTracker, type SpotzeeModuleOptions } from '../../lib/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileEventStore } from '../../lib/stores/file/file-event-store.js';
import { FillingDisk } from '../stores/support/filling-disk.js';
import { eventually } from '../support/eventually.js';
import { suiteEmulator } from '../support/suite-emulator.js';
import { HealthModule } from './fixtures/health/health.module.js';
import { listen, type PostingApp } from './support/http-app.js';

const WRONG_KEY = 'sk_live_revoked_4c9e1f7a';

interface HealthBody {
  status: string;
  info?: Record<string, Record<string, unknown>>;
  error?: Record<string, Record<string, unknown>>;
  details: Record<string, Record<string, unknown>>;
}

describe('SpotzeeHealthIndicator behind a Terminus health endpoint', () => {
  // Only the emulator's own key is valid: any other gets 401 authentication_required.
  const emulator = suiteEmulator({ apiKeys: [EMULATOR_API_KEY] });
  let running: PostingApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  async function boot(options: SpotzeeModuleOptions): Promise<{ running: PostingApp; tracker: SpotzeeTracker }> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        SpotzeeModule.forRoot({ baseUrl: emulator().baseUrl, logger: SILENT_LOGGER, ...options }),
        HealthModule,
      ],
    }).compile();
    running = await listen(moduleRef, new ExpressAdapter());
    return { running, tracker: running.app.get(SpotzeeTracker) };
  }

  async function health(path = '/health'): Promise<{ status: number; text: string; body: HealthBody }> {
    const response = await fetch(`${running!.url}${path}`);
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text) as HealthBody };
  }

  it('is up with an empty queue and no error while delivery works', async () => {
    const { tracker } = await boot({ apiKey: EMULATOR_API_KEY });
    tracker.track('order_placed', { externalId: 'cus_1' });
    await tracker.flush();
    expect(emulator().events).toHaveLength(1);

    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      info: {
        spotzee: {
          status: 'up',
          halted: false,
          queueDepth: 0,
          lastError: null,
          store: { name: 'memory', up: true, depth: 0, problem: null },
        },
      },
      error: {},
      details: {
        spotzee: {
          status: 'up',
          halted: false,
          queueDepth: 0,
          lastError: null,
          store: { name: 'memory', up: true, depth: 0, problem: null },
        },
      },
    });
  });

  it('is down with the queue depth and a redacted last error once Spotzee refuses the key with 401', async () => {
    const { tracker } = await boot({ apiKey: WRONG_KEY });
    expect((await health()).status).toBe(200);

    tracker.track('order_placed', { externalId: 'cus_1' });
    tracker.track('order_paid', { externalId: 'cus_1' });
    await tracker.flush(); // resolves once halted: the events cannot be sent until the key is fixed
    await eventually(() => tracker.health().halted, 'delivery halted');
    expect(emulator().requests.map(({ status }) => status)).toEqual([401]);

    const { status, text, body } = await health();
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    const spotzee = body.error!.spotzee!;
    expect(spotzee).toEqual({
      status: 'down',
      halted: true,
      queueDepth: 2,
      lastError: {
        message: expect.stringContaining('Spotzee refused the API key'),
        status: 401,
        code: 'authentication_required',
        requestId: emulator().requests[0]!.requestId,
        at: expect.any(String),
      },
      // The two events sit in a frozen batch held by the halt, not in the memory queue.
      store: { name: 'memory', up: true, depth: 0, problem: null },
      message: expect.stringContaining('Spotzee delivery is halted'),
    });
    expect(body.details.spotzee).toEqual(spotzee);
    // Neither the key nor a recognisable part of it reaches the health endpoint.
    expect(text).not.toContain(WRONG_KEY);
    expect(text).not.toContain('revoked_4c9e1f7a');
  });

  it('comes back up when a probe gets through after a refused key', async () => {
    const { tracker } = await boot({ apiKey: EMULATOR_API_KEY, haltProbeIntervalMs: 50 });
    emulator().inject({ kind: 'status', status: 403, code: 'permission_denied' });
    tracker.track('order_placed', { externalId: 'cus_2' });
    await eventually(() => tracker.health().halted, 'delivery halted');

    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.error!.spotzee).toMatchObject({
      status: 'down',
      halted: true,
      lastError: { status: 403, code: 'permission_denied' },
    });

    await emulator().waitForEvents(1);
    await eventually(() => !tracker.health().halted && tracker.health().queueDepth === 0, 'delivery resumed');
    const up = await health();
    expect(up.status).toBe(200);
    // The last problem stays visible for diagnosis; the status says it is over.
    expect(up.body.info!.spotzee).toMatchObject({
      status: 'up',
      halted: false,
      queueDepth: 0,
      lastError: { status: 403 },
    });
  });

  it('reports a backlog over maxQueueDepth as down on a readiness endpoint, under its own key', async () => {
    // No automatic sending: the queue only grows until flush().
    const { tracker } = await boot({ apiKey: EMULATOR_API_KEY, flushIntervalMs: 60_000 });
    for (const n of [1, 2, 3]) {
      tracker.track('page_viewed', { anonymousId: `anon_${n}` });
    }

    const ready = await health('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.error).toEqual({
      spotzee_backlog: {
        status: 'down',
        halted: false,
        queueDepth: 3,
        lastError: null,
        store: { name: 'memory', up: true, depth: 3, problem: null },
        message: '3 Spotzee events are waiting to be sent, over the limit of 2.',
      },
    });
    expect((await health()).status).toBe(200);

    await tracker.flush();
    expect((await health('/health/ready')).status).toBe(200);
  });

  it('is down, naming the store and its problem, while a file store cannot write', async () => {
    const disk = new FillingDisk();
    const directory = mkdtempSync(join(tmpdir(), 'spz-health-'));
    try {
      const { tracker } = await boot({
        apiKey: EMULATOR_API_KEY,
        store: new FileEventStore({ directory }, { openFile: disk.open }),
      });
      expect((await health()).body.details.spotzee!.store).toEqual({ name: 'file', up: true, depth: 0, problem: null });
      disk.fill();
      tracker.track('order_placed', { externalId: 'cus_9' });
      const down = await health();
      expect(down.status).toBe(503);
      expect(down.body.error!.spotzee).toMatchObject({
        status: 'down',
        store: { name: 'file', up: false, problem: expect.stringContaining('ENOSPC') },
        message: expect.stringMatching(/^The Spotzee file store is down \(ENOSPC/),
      });
      disk.free();
      tracker.track('order_placed', { externalId: 'cus_9' });
      expect((await health()).status).toBe(200);
      await running?.app.close();
      running = undefined;
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
