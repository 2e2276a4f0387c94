import { describe, expect, it } from '@jest/globals';
import {
  BadRequestException,
  Controller,
  Injectable,
  Post,
  UseInterceptors,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { EmitsEvent, SpotzeeInterceptor, SpotzeeModule, SpotzeeTracker } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp } from '../support/loopback-app.js';
import { postOnce } from '../support/one-shot-post.js';
import { PLATFORMS } from '../support/platforms.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { responseProbe, ResponseProbeModule } from '../support/response-probe.module.js';
import { suiteEmulator } from '../support/suite-emulator.js';

/** Holds a request open until the application starts shutting down. */
const gate = { entered: 0, release: (): void => undefined };

@Controller('slow')
class SlowController {
  constructor(private readonly spotzee: SpotzeeTracker) {}

  @Post()
  @EmitsEvent('slow_request_finished')
  async slow(): Promise<{ ok: true }> {
    gate.entered += 1;
    await new Promise<void>((resolve) => (gate.release = resolve));
    this.spotzee.track('slow_request_tracked');
    return { ok: true };
  }

  @Post('quick')
  @EmitsEvent('quick_request_finished')
  quick(): { ok: true } {
    return { ok: true };
  }
}

@Injectable()
class ReleaseGateOnShutdown implements BeforeApplicationShutdown {
  beforeApplicationShutdown(): void {
    // Released after the HTTP server has begun closing: the request finishes during shutdown.
    setTimeout(() => gate.release(), 20);
  }
}

@Controller('opt')
class OptInController {
  constructor(private readonly spotzee: SpotzeeTracker) {}

  @Post('out')
  @EmitsEvent('never_captured')
  out(): never {
    this.spotzee.track('tracked_without_interceptor', { anonymousId: 'anon_out' });
    throw new BadRequestException();
  }

  @Post('in')
  @UseInterceptors(SpotzeeInterceptor)
  @EmitsEvent('opted_in')
  in(): { ok: true } {
    return { ok: true };
  }
}

describe.each(PLATFORMS)('lifecycle on %s', (_platform, createAdapter) => {
  const emulator = suiteEmulator();

  it('drains on app.close(): queued events and those of a request that finishes during shutdown', async () => {
    const logger = new RecordingLogger();
    const { app, url } = await startApp(
      {
        imports: [
          SpotzeeModule.forRoot({
            apiKey: EMULATOR_API_KEY,
            baseUrl: emulator().baseUrl,
            flushIntervalMs: 60_000,
            logger,
          }),
          ResponseProbeModule,
        ],
        controllers: [SlowController],
        providers: [ReleaseGateOnShutdown],
      },
      createAdapter(),
    );
    const post = (path: string) => postOnce(`${url}${path}`, { 'x-anonymous-id': 'anon_drain' });

    expect((await post('/slow/quick')).status).toBe(201);
    await eventually(responseProbe.allClosed, 'the quick response closed');
    const entered = gate.entered;
    const slow = post('/slow');
    await eventually(() => gate.entered === entered + 1, 'the slow handler started');

    expect(emulator().events).toHaveLength(0);
    await app.close();
    expect((await slow).status).toBe(201);

    expect(
      emulator()
        .events.map(({ event }) => event.name)
        .sort(),
    ).toEqual(['quick_request_finished', 'slow_request_finished', 'slow_request_tracked']);
    expect(app.get(SpotzeeTracker).stats()).toMatchObject({ captured: 3, delivered: 3, pending: 0, dropped: 0 });
    expect(logger.messages('log')).toContainEqual(
      expect.stringMatching(
        /^Spotzee drained in \d+ ms: 3 delivered, 0 rejected, 0 dropped\. Since start-up: 3 captured, 3 delivered, 0 rejected, 0 dropped\.$/,
      ),
    );
  });

  it('reports what misses the shutdown deadline as dropped instead of hanging', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const logger = new RecordingLogger();
    const { app, url } = await startApp(
      {
        imports: [
          SpotzeeModule.forRoot({
            apiKey: EMULATOR_API_KEY,
            baseUrl: `http://127.0.0.1:${port}/api/client`,
            retryBaseMs: 10,
            retryMaxMs: 20,
            shutdownDeadlineMs: 300,
            logger,
          }),
          ResponseProbeModule,
        ],
        controllers: [SlowController],
      },
      createAdapter(),
    );
    await postOnce(`${url}/slow/quick`, { 'x-anonymous-id': 'anon_lost' });
    await eventually(responseProbe.allClosed, 'the response closed');
    await app.close();

    const stats = app.get(SpotzeeTracker).stats();
    expect(stats).toMatchObject({ captured: 1, delivered: 0, pending: 0 });
    expect(stats.dropped + stats.rejected).toBe(1);
    expect(logger.messages().join('\n')).toMatch(/dropped/);
  });

  it('with globalInterceptor: false, captures only where @UseInterceptors(SpotzeeInterceptor) opts in', async () => {
    const { app, url } = await startApp(
      {
        imports: [
          SpotzeeModule.forRoot({ apiKey: EMULATOR_API_KEY, baseUrl: emulator().baseUrl, globalInterceptor: false }),
          ResponseProbeModule,
        ],
        controllers: [OptInController],
      },
      createAdapter(),
    );
    try {
      expect((await fetch(`${url}/opt/out`, { method: 'POST' })).status).toBe(400);
      expect((await fetch(`${url}/opt/in`, { method: 'POST', headers: { 'x-anonymous-id': 'anon_in' } })).status).toBe(
        201,
      );
      await eventually(responseProbe.allClosed, 'all responses closed');
      await app.get(SpotzeeTracker).flush();
      // Without the interceptor there is no request context: track() is queued at once, even though the request failed.
      expect(emulator().events.map(({ event }) => [event.name, event.anonymous_id])).toEqual([
        ['tracked_without_interceptor', 'anon_out'],
        ['opted_in', 'anon_in'],
      ]);
    } finally {
      await app.close();
    }
  });
});
