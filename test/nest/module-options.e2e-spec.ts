import { describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Post,
  type INestApplication,
  type ExecutionContext,
} from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { inspect } from 'node:util';
import { EMULATOR_API_KEY, SpotzeeEmulator } from '../../lib/emulator/index.js';
import {
  EmitsEvent,
  InjectSpotzee,
  SpotzeeConfigurationError,
  SpotzeeModule,
  SpotzeeTracker,
  type SpotzeeModuleOptions,
} from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp, startupError } from '../support/loopback-app.js';
import { PLATFORMS } from '../support/platforms.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { responseProbe, ResponseProbeModule } from '../support/response-probe.module.js';
import { suiteEmulator } from '../support/suite-emulator.js';

@Controller('signals')
class SignalsController {
  constructor(@InjectSpotzee() private readonly spotzee: SpotzeeTracker) {}

  @Post()
  @EmitsEvent('signal_sent')
  send(): { ok: true } {
    return { ok: true };
  }

  @Get('fail')
  fail(): never {
    this.spotzee.track('signal_failed', { data: { why: 'boom' } });
    throw new Error('boom');
  }
}

describe.each(PLATFORMS)('module options on %s', (_platform, createAdapter) => {
  const emulator = suiteEmulator();

  async function run(
    imports: NonNullable<Parameters<typeof startApp>[0]['imports']>,
    exercise: (app: INestApplication, url: string) => Promise<void>,
  ): Promise<void> {
    const { app, url } = await startApp(
      { imports: [...imports, ResponseProbeModule], controllers: [SignalsController] },
      createAdapter(),
    );
    try {
      await exercise(app, url);
    } finally {
      await app.close();
    }
  }

  async function settled(app: INestApplication): Promise<void> {
    await eventually(responseProbe.allClosed, 'all responses closed');
    await app.get(SpotzeeTracker).flush();
  }

  it('takes its options from ConfigService with forRootAsync, and @InjectSpotzee resolves the same tracker', async () => {
    const configModule = ConfigModule.forRoot({
      ignoreEnvFile: true,
      load: [() => ({ SPOTZEE_API_KEY: EMULATOR_API_KEY, SPOTZEE_BASE_URL: emulator().baseUrl })],
    });
    const spotzee = SpotzeeModule.forRootAsync({
      imports: [configModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        apiKey: config.getOrThrow<string>('SPOTZEE_API_KEY'),
        baseUrl: config.get<string>('SPOTZEE_BASE_URL'),
      }),
    });
    await run([configModule, spotzee], async (app, url) => {
      expect(app.get('spotzee:tracker')).toBe(app.get(SpotzeeTracker));
      expect(
        (await fetch(`${url}/signals`, { method: 'POST', headers: { 'x-anonymous-id': 'anon_cfg' } })).status,
      ).toBe(201);
      await settled(app);
      expect(emulator().events.map(({ event }) => [event.name, event.anonymous_id])).toEqual([
        ['signal_sent', 'anon_cfg'],
      ]);
      expect(emulator().requests[0]!.headers.authorization).toBe('Bearer sk_…');
    });
  });

  it('uses a custom contact resolver', async () => {
    const contact = (context: ExecutionContext) => ({
      externalId: String(
        context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-customer'],
      ),
    });
    await run(
      [SpotzeeModule.forRoot({ apiKey: EMULATOR_API_KEY, baseUrl: emulator().baseUrl, contact })],
      async (app, url) => {
        await fetch(`${url}/signals`, { method: 'POST', headers: { 'x-customer': 'cus_77' } });
        await settled(app);
        expect(emulator().events.map(({ event }) => [event.external_id, event.anonymous_id])).toEqual([
          ['cus_77', undefined],
        ]);
      },
    );
  });

  it('sends the events of a failed request with sendOnFailedRequest: true', async () => {
    await run(
      [SpotzeeModule.forRoot({ apiKey: EMULATOR_API_KEY, baseUrl: emulator().baseUrl, sendOnFailedRequest: true })],
      async (app, url) => {
        const response = await fetch(`${url}/signals/fail`, { headers: { 'x-anonymous-id': 'anon_f' } });
        expect(response.status).toBe(500);
        await settled(app);
        expect(emulator().events.map(({ event }) => [event.name, event.anonymous_id, event.data])).toEqual([
          ['signal_failed', 'anon_f', { why: 'boom' }],
        ]);
      },
    );
  });

  it('sends nothing in dryRun, without a key', async () => {
    await run([SpotzeeModule.forRoot({ dryRun: true, baseUrl: emulator().baseUrl })], async (app, url) => {
      await fetch(`${url}/signals`, { method: 'POST', headers: { 'x-anonymous-id': 'anon_dry' } });
      await settled(app);
      expect(emulator().requests).toHaveLength(0);
      expect(app.get(SpotzeeTracker).stats()).toMatchObject({ captured: 1, delivered: 1, pending: 0 });
    });
  });

  describe('refuses to start', () => {
    const SECRET = 'SECRETPART123456';

    async function failure(options: SpotzeeModuleOptions): Promise<Error> {
      return startupError(
        { imports: [SpotzeeModule.forRoot(options)], controllers: [SignalsController] },
        createAdapter(),
      );
    }

    it.each<[string, SpotzeeModuleOptions, RegExp]>([
      [
        'a publishable key',
        { apiKey: `pk_live_${SECRET}` },
        /Invalid Spotzee option apiKey: is a publishable key \(pk_…\), meant for browsers\. A backend must use a secret key \(sk_…\)/,
      ],
      [
        'a missing key',
        { apiKey: undefined },
        /Invalid Spotzee option apiKey: is missing\. Pass your Spotzee secret key \(sk_…\)/,
      ],
      [
        'plain http to a remote host',
        { apiKey: `sk_live_${SECRET}`, baseUrl: 'http://api.example.com/api/client' },
        /Invalid Spotzee option baseUrl: .*https/,
      ],
      [
        'a malformed anonymous id header',
        { apiKey: `sk_live_${SECRET}`, anonymousIdHeader: 'x anonymous id' },
        /Invalid Spotzee option anonymousIdHeader: expected an HTTP header name such as "x-anonymous-id", got "x anonymous id"\./,
      ],
      [
        'an unknown event name policy',
        { apiKey: `sk_live_${SECRET}`, eventNames: 'loud' as never },
        /Invalid Spotzee option eventNames: expected 'warn', 'strict' or 'off', got "loud"\./,
      ],
      [
        'a contact resolver that is not a function',
        { apiKey: `sk_live_${SECRET}`, contact: 'user.id' as never },
        /Invalid Spotzee option contact: expected a function/,
      ],
      [
        'a schema that is not one',
        { apiKey: `sk_live_${SECRET}`, schemas: { order_placed: { parse: () => 1 } as never } },
        /Invalid Spotzee option schemas\.order_placed: expected a Standard Schema/,
      ],
    ])('with %s, saying how to fix it and never echoing the key', async (_case, options, expected) => {
      const error = await failure(options);
      expect(error).toBeInstanceOf(SpotzeeConfigurationError);
      expect(error.message).toMatch(expected);
      expect(error.message).not.toContain(SECRET);
      expect(String(error.stack)).not.toContain(SECRET);
    });

    it('when forRootAsync resolves a publishable key', async () => {
      const error = await startupError(
        {
          imports: [SpotzeeModule.forRootAsync({ useFactory: async () => ({ apiKey: `pk_test_${SECRET}` }) })],
        },
        createAdapter(),
      );
      expect(error.message).toContain('Invalid Spotzee option apiKey: is a publishable key');
      expect(error.message).not.toContain(SECRET);
    });
  });

  it('keeps the raw options (the key in clear) inside the module: other modules cannot inject them', async () => {
    @Injectable()
    class NosyService {
      constructor(@Inject('SPOTZEE_MODULE_OPTIONS') readonly options: unknown) {}
    }
    @Module({ providers: [NosyService] })
    class NosyModule {}
    const error = await startupError(
      { imports: [SpotzeeModule.forRoot({ apiKey: EMULATOR_API_KEY, baseUrl: emulator().baseUrl }), NosyModule] },
      createAdapter(),
    );
    expect(error.message).toContain("can't resolve dependencies of the NosyService");
  });

  it('reports a refused key as unhealthy without ever logging it', async () => {
    const logger = new RecordingLogger();
    const wrongKey = 'sk_live_WRONGKEY987654321';
    const guarded = await SpotzeeEmulator.start({ apiKeys: [EMULATOR_API_KEY] });
    try {
      await run([SpotzeeModule.forRoot({ apiKey: wrongKey, baseUrl: guarded.baseUrl, logger })], async (app, url) => {
        await fetch(`${url}/signals`, { method: 'POST', headers: { 'x-anonymous-id': 'anon_401' } });
        await settled(app);
        const tracker = app.get(SpotzeeTracker);
        expect(tracker.health()).toMatchObject({ healthy: false, halted: true });
        expect(logger.messages('error').join('\n')).toMatch(/401|authentication_required/);
        expect(JSON.stringify([logger.lines, tracker.stats(), tracker.health()])).not.toContain('WRONGKEY987654321');
        expect(inspect(tracker, { depth: 8, showHidden: false })).not.toContain('WRONGKEY987654321');
        expect(JSON.stringify(app.get('spotzee:settings'))).not.toContain('WRONGKEY987654321');
      });
    } finally {
      await guarded.stop();
    }
  });
});
