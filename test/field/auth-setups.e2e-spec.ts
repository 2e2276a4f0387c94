import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Injectable,
  Module,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type MiddlewareConsumer,
  type NestModule,
  type Type,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, type AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { SpotzeeModule, type RejectedOutcome, type SpotzeeModuleOptions, SpotzeeTracker } from '../../lib/index.js';
import { listenOnLoopback } from '../support/loopback-app.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { suiteEmulator } from '../support/suite-emulator.js';
import { CatsController } from './fixtures/cats.controller.js';
import {
  JwtPayloadGuard,
  PassportJwtStyleGuard,
  RawRequestUserMiddleware,
  TransformInterceptor,
} from './fixtures/field-auth.js';

/**
 * The library dropped into the three third-party apps it was tried in, reproduced: each auth setup
 * puts the user somewhere else, and each app has a global interceptor that wraps every result in
 * `{ data }`, registered before or after SpotzeeModule. The right contact and the handler's own
 * result must reach Spotzee whatever the setup and the order.
 */
interface AuthSetup {
  title: string;
  adapter: () => AbstractHttpAdapter;
  guard?: Type<CanActivate>;
  middleware?: Type<RawRequestUserMiddleware>;
}

const SETUPS: AuthSetup[] = [
  { title: 'passport-jwt: request.user.userId', adapter: () => new ExpressAdapter(), guard: PassportJwtStyleGuard },
  { title: "Nest's JWT guard: request.user.sub", adapter: () => new ExpressAdapter(), guard: JwtPayloadGuard },
  {
    title: 'Fastify, a Nest middleware: request.raw.user',
    adapter: () => new FastifyAdapter(),
    middleware: RawRequestUserMiddleware,
  },
];

type TransformOrder = 'imported before SpotzeeModule' | 'imported after SpotzeeModule' | 'app.useGlobalInterceptors()';
const ORDERS: TransformOrder[] = [
  'imported before SpotzeeModule',
  'imported after SpotzeeModule',
  'app.useGlobalInterceptors()',
];

@Module({ providers: [{ provide: APP_INTERCEPTOR, useClass: TransformInterceptor }] })
class TransformModule {}

describe('in the apps people already have', () => {
  const emulator = suiteEmulator();
  let app: INestApplication | undefined;
  const logger = new RecordingLogger();
  const rejections: RejectedOutcome[] = [];

  afterEach(async () => {
    await app?.close();
    app = undefined;
    logger.clear();
    rejections.length = 0;
  });

  async function start(
    setup: AuthSetup,
    order: TransformOrder | 'none',
    options: Partial<SpotzeeModuleOptions> = {},
  ): Promise<string> {
    @Module({
      controllers: [CatsController],
      providers: setup.guard ? [{ provide: APP_GUARD, useClass: setup.guard }] : [],
    })
    class CatsModule implements NestModule {
      configure(consumer: MiddlewareConsumer): void {
        if (setup.middleware) consumer.apply(setup.middleware).forRoutes('*path');
      }
    }
    const spotzee = SpotzeeModule.forRoot({
      apiKey: EMULATOR_API_KEY,
      baseUrl: emulator().baseUrl,
      logger,
      ...options,
    } as SpotzeeModuleOptions);
    const imports =
      order === 'imported before SpotzeeModule'
        ? [TransformModule, spotzee, CatsModule]
        : order === 'imported after SpotzeeModule'
          ? [spotzee, TransformModule, CatsModule]
          : [spotzee, CatsModule];
    const moduleRef = await Test.createTestingModule({ imports }).compile();
    app = moduleRef.createNestApplication(setup.adapter(), { logger: false });
    if (order === 'app.useGlobalInterceptors()') app.useGlobalInterceptors(new TransformInterceptor());
    app.get(SpotzeeTracker).on('rejected', (outcome) => rejections.push(outcome));
    return listenOnLoopback(app);
  }

  /** Closing drains: every committed event has reached the emulator (or been reported) when it resolves. */
  async function closeAndCollect(): Promise<Array<Record<string, unknown>>> {
    await app!.close();
    app = undefined;
    return emulator().events.map(({ event }) => ({ ...event, created_at: undefined }));
  }

  describe.each(SETUPS)('$title', (setup) => {
    it.each(ORDERS)(
      'sends the signed-in user and the handler’s own result with a { data } interceptor %s',
      async (order) => {
        const url = await start(setup, order);
        const headers = { authorization: 'Bearer 7', 'content-type': 'application/json' };

        const listed = await fetch(`${url}/cats`, { headers });
        // The app's interceptor did wrap the response: the mappers still saw the array.
        expect(await listed.json()).toEqual({ data: [expect.objectContaining({ name: 'Tom' }), expect.any(Object)] });
        const created = await fetch(`${url}/cats`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ name: 'Felix', age: 2 }),
        });
        expect(await created.json()).toEqual({ data: { name: 'Felix', age: 2 } });

        expect(await closeAndCollect()).toEqual([
          { name: 'cats_listed', external_id: '7', data: { count: 2 }, created_at: undefined },
          { name: 'cat_created', external_id: '7', data: { name: 'Felix', age: 2 }, created_at: undefined },
        ]);
        expect(rejections).toEqual([]);
      },
    );
  });

  describe('when the user’s id is in a field the resolver does not know', () => {
    @Injectable()
    class AccountGuard implements CanActivate {
      canActivate(context: ExecutionContext): boolean {
        context.switchToHttp().getRequest<{ user?: unknown }>().user = { accountId: 'acc_9', email: 'ann@example.com' };
        return true;
      }
    }
    const accounts: AuthSetup = { title: 'account guard', adapter: () => new ExpressAdapter(), guard: AccountGuard };

    it('rejects the event saying which fields request.user has (never their values) and which option fixes it', async () => {
      const url = await start(accounts, 'none');
      await fetch(`${url}/cats`);
      expect(await closeAndCollect()).toEqual([]);
      expect(rejections).toHaveLength(1);
      expect(rejections[0]).toMatchObject({ reason: 'missing_contact', param: 'externalId' });
      expect(rejections[0]!.message).toBe(
        'Spotzee event "cats_listed" from GET /cats rejected: it has neither externalId nor anonymousId. ' +
          'request.user has the fields accountId, email, but none of id, userId, sub. ' +
          "Name the field that holds the id with the userId option (userId: 'accountId', or userId: (user) => user.account.id).",
      );
      expect(rejections[0]!.message).not.toContain('ann@example.com');
    });

    it.each([
      ['a field name', 'accountId'],
      ['a function', (user: { accountId: string }) => user.accountId],
    ])('finds it with the userId option as %s', async (_kind, userId) => {
      const url = await start(accounts, 'none', { userId });
      await fetch(`${url}/cats`);
      expect(await closeAndCollect()).toMatchObject([{ name: 'cats_listed', external_id: 'acc_9' }]);
    });
  });

  it('sends a numeric id from a custom contact resolver as a string', async () => {
    const url = await start(SETUPS[1]!, 'none', {
      contact: (context) => ({ externalId: context.switchToHttp().getRequest<{ user?: { sub: number } }>().user?.sub }),
    });
    await fetch(`${url}/cats`, { headers: { authorization: 'Bearer 42' } });
    expect(await closeAndCollect()).toMatchObject([{ name: 'cats_listed', external_id: '42' }]);
  });

  it('warns once when a data mapper yields only undefined fields', async () => {
    const url = await start(SETUPS[0]!, 'none');
    await fetch(`${url}/cats/misread`, { headers: { authorization: 'Bearer 7' } });
    await fetch(`${url}/cats/misread`, { headers: { authorization: 'Bearer 7' } });
    expect(await closeAndCollect()).toMatchObject([
      { name: 'cats_misread', data: {} },
      { name: 'cats_misread', data: {} },
    ]);
    expect(logger.matching(/only undefined fields/)).toEqual([
      `The "data" mapper of @EmitsEvent('cats_misread') on GET /cats/misread returned only undefined fields (name, age), so the event carries "data": {}. ` +
        "Mappers receive the handler's own return value; check the fields it reads exist on it. (Said once per route.)",
    ]);
  });
});
