import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { EMULATOR_API_KEY, SpotzeeEmulator } from '../../lib/emulator/index.js';
import { SILENT_LOGGER } from '../../lib/delivery/index.js';
import { SpotzeeModule, SpotzeeTracker } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp } from '../support/loopback-app.js';
import { PLATFORMS } from '../support/platforms.js';
import { ResponseProbeModule, responseProbe } from '../support/response-probe.module.js';
import { RequestEdgesModule } from './fixtures/request-edges.module.js';

/**
 * The request context opens where the server hands the request over, and becomes joinable once the
 * request reaches its handler (the module's global guard): these are the edges of that rule.
 */
describe.each(PLATFORMS)('the request context on %s', (_platform, createAdapter) => {
  let emulator: SpotzeeEmulator;
  let app: INestApplication;
  let url: string;
  let tracker: SpotzeeTracker;

  beforeAll(async () => {
    emulator = await SpotzeeEmulator.start();
    ({ app, url } = await startApp(
      {
        imports: [
          SpotzeeModule.forRoot({
            apiKey: EMULATOR_API_KEY,
            baseUrl: emulator.baseUrl,
            flushIntervalMs: 60_000,
            logger: SILENT_LOGGER,
          }),
          ResponseProbeModule,
          RequestEdgesModule,
        ],
      },
      createAdapter(),
    ));
    tracker = app.get(SpotzeeTracker);
  });

  afterAll(async () => {
    await app?.close();
    await emulator?.stop();
  });

  beforeEach(() => emulator.reset());

  async function post(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'x-anonymous-id': 'anon_1', ...headers },
    });
    await eventually(responseProbe.allClosed, 'all responses closed');
    await tracker.flush();
    return response;
  }

  function sent(): Array<[string, unknown]> {
    return emulator.events.map(({ event }) => [event.name, event.anonymous_id]);
  }

  it('treats a track() in middleware as outside the request: sent although the request fails', async () => {
    expect((await post('/edges/fail', { 'x-track-in-middleware': '1' })).status).toBe(400);
    expect(sent()).toEqual([['middleware_tracked', 'anon_middleware']]);
    expect(tracker.stats().discarded).toBe(0);
  });

  it("joins a track() in a guard to the request: committed with the request's contact when it succeeds", async () => {
    expect((await post('/edges/guarded')).status).toBe(201);
    expect(sent()).toEqual([['guard_tracked', 'anon_1']]);
  });

  it('discards a track() in a guard with the request: when the guard refuses, and when the handler fails', async () => {
    const discardedBefore = tracker.stats().discarded;
    expect((await post('/edges/guarded', { 'x-deny': '1' })).status).toBe(403);
    expect((await post('/edges/guarded-fail')).status).toBe(400);
    expect(sent()).toEqual([]);
    expect(tracker.stats().discarded - discardedBefore).toBe(2);
  });

  it('listens to the response only once the request holds an event', async () => {
    const response = await post('/edges/listeners');
    const { before, after } = (await response.json()) as { before: number; after: number };
    expect(after).toBe(before + 1);
    expect(sent()).toEqual([['listener_probe', 'anon_1']]);
  });
});
