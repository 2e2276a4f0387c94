import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { SpotzeeModule, SpotzeeTracker, type SpotzeeModuleOptions } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp } from '../support/loopback-app.js';
import { suiteEmulator } from '../support/suite-emulator.js';
import { PLATFORMS } from '../support/platforms.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { libraryBuiltOnce } from '../stores/processes/support/store-app-process.js';
import { ResponseProbeModule, responseProbe } from '../support/response-probe.module.js';
import {
  BillingModule,
  DecoratedRoutesController,
  DecoratedRoutesModule,
  receivedArguments,
} from './fixtures/decorated-routes.module.js';

/**
 * Decorated routes are captured by their own method, not an interceptor, and requests get a context
 * (which costs every request of the process an async hook per Promise on Node 20) only when the
 * application can track during them: `requestContext`.
 */
describe.each(PLATFORMS)('decorated routes on %s', (platform, createAdapter) => {
  const emulator = suiteEmulator();

  async function start(
    imports: unknown[],
    options: Partial<SpotzeeModuleOptions> = {},
  ): Promise<{ app: INestApplication; url: string; tracker: SpotzeeTracker; logger: RecordingLogger }> {
    const logger = new RecordingLogger();
    const { app, url } = await startApp(
      {
        imports: [
          SpotzeeModule.forRoot({
            apiKey: EMULATOR_API_KEY,
            baseUrl: emulator().baseUrl,
            flushIntervalMs: 60_000,
            logger,
            ...options,
          }),
          ResponseProbeModule,
          ...(imports as []),
        ],
      },
      createAdapter(),
    );
    return { app, url, tracker: app.get(SpotzeeTracker), logger };
  }

  async function post(
    url: string,
    tracker: SpotzeeTracker,
    path: string,
    body: unknown = { total: 42 },
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-anonymous-id': 'anon_1' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    await eventually(responseProbe.allClosed, 'all responses closed');
    await tracker.flush();
    return { status: response.status, text, headers: response.headers };
  }

  describe('in an application that never injects the tracker', () => {
    let app: INestApplication;
    let url: string;
    let tracker: SpotzeeTracker;
    let logger: RecordingLogger;

    beforeAll(async () => {
      ({ app, url, tracker, logger } = await start([DecoratedRoutesModule]));
    });

    afterAll(async () => {
      await app?.close();
    });

    it("sends each kind of result from the route's own value, with the request's contact", async () => {
      for (const kind of ['value', 'promise', 'observable', 'enveloped']) {
        expect((await post(url, tracker, `/routes/${kind}`)).status).toBe(201);
      }
      expect(emulator().events.map(({ event }) => [event.anonymous_id, event.data])).toEqual([
        ['anon_1', { order_id: 'ord_value', total: 42, source: 'value', route: 'DecoratedRoutesController' }],
        ['anon_1', { order_id: 'ord_promise', total: 42, source: 'promise', route: 'DecoratedRoutesController' }],
        // An Observable's last value, as Nest would answer with it.
        ['anon_1', { order_id: 'ord_observable', total: 3, source: 'observable', route: 'DecoratedRoutesController' }],
        // Another interceptor wraps the response; the mappers still see the route's own value.
        ['anon_1', { order_id: 'ord_enveloped', total: 4, source: 'enveloped', route: 'DecoratedRoutesController' }],
      ]);
    });

    it("answers exactly as the route does, and calls its method with the method's own arguments only", async () => {
      const value = await post(url, tracker, '/routes/value', { total: 7 });
      expect(JSON.parse(value.text)).toEqual({ id: 'ord_value', total: 7 });
      expect(receivedArguments.get('value')).toEqual([{ total: 7 }]);
      expect(JSON.parse((await post(url, tracker, '/routes/enveloped')).text)).toEqual({
        data: { id: 'ord_enveloped', total: 4 },
      });
      await post(url, tracker, '/routes/observable');
      expect(receivedArguments.get('observable')).toEqual([]);

      const passthrough = await post(url, tracker, '/routes/passthrough');
      expect(passthrough.status).toBe(202);
      expect(passthrough.headers.get('x-route')).toBe('passthrough');
      expect(JSON.parse(passthrough.text)).toEqual({ id: 'ord_passthrough', total: 5 });
      expect(receivedArguments.get('passthrough')).toHaveLength(1);
    });

    it('leaves a route that answers through @Res() to answer, and follows its verdict', async () => {
      const discardedBefore = tracker.stats().discarded;
      const ok = await post(url, tracker, '/routes/manual', {});
      expect([ok.status, ok.text]).toEqual([200, 'answered by the route']);
      expect(receivedArguments.get('manual')).toHaveLength(2);
      const failed = await post(url, tracker, '/routes/manual', { fail: true });
      expect(failed.status).toBe(409);
      expect(emulator().events.map(({ event }) => event.data?.['order_id'])).toEqual(['ord_manual']);
      expect(tracker.stats().discarded - discardedBefore).toBe(1);
    });

    it('sends nothing for a route that throws, and its error reaches the client', async () => {
      const capturedBefore = tracker.stats().captured;
      expect((await post(url, tracker, '/routes/throws')).status).toBe(500);
      expect(emulator().events).toEqual([]);
      expect(tracker.stats().captured).toBe(capturedBefore);
    });

    it('is a plain method to code that calls it directly (a unit test): same result, nothing captured', () => {
      const capturedBefore = tracker.stats().captured;
      expect(app.get(DecoratedRoutesController).value({ total: 9 })).toEqual({ id: 'ord_value', total: 9 });
      expect(receivedArguments.get('value')).toEqual([{ total: 9 }]);
      expect(tracker.stats().captured).toBe(capturedBefore);
    });

    it('opens no context for other requests, and says so at start-up with the way to change it', async () => {
      expect(logger.matching(/^Spotzee ready/)).toEqual([
        expect.stringContaining(
          "request contexts only @EmitsEvent routes (no class injects SpotzeeTracker; requestContext: 'always' opens one for every request).",
        ),
      ]);
      // A tracker looked up at run time is outside any request: its event is sent although the request fails.
      expect((await post(url, tracker, '/lookup/fails')).status).toBe(500);
      expect(emulator().events.map(({ event }) => [event.name, event.anonymous_id])).toEqual([
        ['looked_up', 'anon_lookup'],
      ]);
    });
  });

  describe("under requestContext: 'always'", () => {
    let app: INestApplication;
    let url: string;
    let tracker: SpotzeeTracker;

    beforeAll(async () => {
      ({ app, url, tracker } = await start([DecoratedRoutesModule], { requestContext: 'always' }));
    });

    afterAll(async () => {
      await app?.close();
    });

    it('holds a track() through a tracker looked up at run time, and discards it with the failed request', async () => {
      const discardedBefore = tracker.stats().discarded;
      expect((await post(url, tracker, '/lookup/fails')).status).toBe(500);
      expect(emulator().events).toEqual([]);
      expect(tracker.stats().discarded - discardedBefore).toBe(1);
    });

    it('captures decorated routes the same way', async () => {
      expect((await post(url, tracker, '/routes/promise')).status).toBe(201);
      expect((await post(url, tracker, '/routes/enveloped')).status).toBe(201);
      expect(emulator().events.map(({ event }) => [event.anonymous_id, event.data?.['order_id']])).toEqual([
        ['anon_1', 'ord_promise'],
        ['anon_1', 'ord_enveloped'],
      ]);
    });
  });

  describe('in an application where a service injects the tracker', () => {
    let app: INestApplication;
    let url: string;
    let tracker: SpotzeeTracker;
    let logger: RecordingLogger;

    beforeAll(async () => {
      ({ app, url, tracker, logger } = await start([DecoratedRoutesModule, BillingModule]));
    });

    afterAll(async () => {
      await app?.close();
    });

    it("opens a context for every request, names why at start-up, and the service's track() joins the request", async () => {
      expect(logger.matching(/^Spotzee ready/)).toEqual([
        expect.stringContaining('request contexts on (BillingService injects SpotzeeTracker).'),
      ]);
      const discardedBefore = tracker.stats().discarded;
      expect((await post(url, tracker, '/billing/charge')).status).toBe(500);
      expect((await post(url, tracker, '/routes/value')).status).toBe(201);
      expect(emulator().events.map(({ event }) => [event.name, event.anonymous_id])).toEqual([
        ['order_placed', 'anon_1'],
      ]);
      expect(tracker.stats().discarded - discardedBefore).toBe(1);
    });
  });
});

/**
 * Fastify's `inject()` hands a request to the application without the HTTP server, so the listener
 * that opens request contexts never sees it: the decorated route opens one of its own. Run in a plain
 * Node process (Jest cannot load light-my-request's ESM-only dependency).
 */
describe('a decorated route reached through Fastify inject()', () => {
  const libraryDir = libraryBuiltOnce();
  const emulator = suiteEmulator();

  it.each(['auto', 'always'])(
    "is captured with the request's contact, and a route that throws sends nothing (requestContext: '%s')",
    async (requestContext) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [fileURLToPath(new URL('./fixtures/fastify-inject-app.mjs', import.meta.url))],
        {
          env: {
            ...process.env,
            SPOTZEE_LIBRARY_DIR: libraryDir(),
            SPOTZEE_BASE_URL: emulator().baseUrl,
            REQUEST_CONTEXT: requestContext,
          },
          timeout: 60_000,
        },
      );
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({
        statuses: [201, 500],
        captured: 1,
        delivered: 1,
        discarded: 0,
        rejected: 0,
        dropped: 0,
      });
      expect(emulator().events.map(({ event }) => [event.anonymous_id, event.data])).toEqual([
        ['anon_injected', { order_id: 'ord_injected', total: 12 }],
      ]);
    },
    90_000,
  );
});
