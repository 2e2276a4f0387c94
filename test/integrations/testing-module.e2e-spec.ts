import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { ExpressAdapter } from '@nestjs/platform-express';
import { z } from 'zod';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { SILENT_LOGGER } from '../../lib/delivery/index.js';
import { SpotzeeModule, SpotzeeTracker, type SpotzeeWireEvent } from '../../lib/index.js';
import { SpotzeeInterceptor } from '../../lib/index.js';
import {
  OpenRequests,
  RecordingSpotzeeInterceptor,
  SPOTZEE_RECORDER,
  SpotzeeAssertionError,
  SpotzeeRecorder,
  SpotzeeTestingModule,
} from '../../lib/testing/index.js';
import { eventually } from '../support/eventually.js';
import { PLATFORMS } from '../support/platforms.js';
import { suiteEmulator } from '../support/suite-emulator.js';
import { AppModule, spotzeeImport } from './fixtures/testing-app/app.module.js';
import { shipmentGate } from './fixtures/testing-app/orders.controller.js';
import { OrdersModule } from './fixtures/testing-app/orders.module.js';
import { OrdersService } from './fixtures/testing-app/orders.service.js';
import { listen, type PostingApp } from './support/http-app.js';
import { SpotzeeRuntime } from '../../lib/spotzee.runtime.js';

const schemas = { subscription_renewed: z.object({ plan: z.enum(['basic', 'pro']) }) };

describe.each(PLATFORMS)('SpotzeeTestingModule in an application test suite (%s)', (_platform, createAdapter) => {
  let running: PostingApp;
  let recorder: SpotzeeRecorder;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SpotzeeTestingModule.forRoot({ schemas, logger: SILENT_LOGGER }), OrdersModule],
    }).compile();
    running = await listen(moduleRef, createAdapter());
    recorder = running.app.get(SpotzeeRecorder);
  });

  afterAll(async () => {
    await running?.app.close();
  });

  beforeEach(() => recorder.clear());

  it("records the decorator event and the service's events, in commit order, exactly as they would be sent", async () => {
    const response = await running.post(
      '/orders',
      { total: 25, email: 'ada@example.com' },
      {
        authorization: 'Bearer user_1',
        'x-anonymous-id': 'anon_1',
      },
    );
    expect(response.status).toBe(201);

    await recorder.waitFor('order_placed');
    const placed = recorder.expectEvent('order_placed', {
      externalId: 'user_1',
      anonymousId: 'anon_1',
      data: { total: 25, order_id: expect.stringMatching(/^ord_\d+$/) },
      user: { email: 'ada@example.com' },
    });
    expect(recorder.events).toEqual([
      {
        name: 'checkout_started',
        external_id: 'user_1',
        anonymous_id: 'anon_1',
        data: { total: 25 },
        created_at: expect.any(String),
      },
      placed,
    ]);
    const [, record] = recorder.records;
    expect(record!.idempotencyKey).toBe(`order_placed:${String(placed.data!.order_id)}`);
    expect(record!.source).toBe('POST /orders');
    // The JSON the engine serialised at capture: keys as the mappers wrote them, no extra fields.
    expect(record!.json).toBe(
      `{"name":"order_placed","external_id":"user_1","anonymous_id":"anon_1","data":{"order_id":"${String(placed.data!.order_id)}","total":25,"currency":"EUR"},"user":{"email":"ada@example.com"},"created_at":"${placed.created_at}"}`,
    );
  });

  it("records track() calls a service makes after awaits, with the request's contact", async () => {
    const response = await running.post('/orders/ord_9/cancel', {}, { authorization: 'Bearer user_2' });
    expect(response.status).toBe(200);

    const [cancelled] = await recorder.waitFor('order_cancelled');
    expect(cancelled).toEqual({
      name: 'order_cancelled',
      external_id: 'user_2',
      data: { order_id: 'ord_9' },
      created_at: expect.any(String),
    });
  });

  it('records nothing for a failed request, not even what the service tracked before it failed', async () => {
    const response = await running.post(
      '/orders',
      { total: -1, email: 'x@example.com' },
      { authorization: 'Bearer user_3' },
    );
    expect(response.status).toBe(400);

    await recorder.settled();
    recorder.expectNoEvents();
    expect(recorder.rejections).toEqual([]);
  });

  it('settled() waits for a request still being handled, then its events are there', async () => {
    const entered = shipmentGate.entered;
    const response = running.post('/orders/ord_3/ship', {}, { authorization: 'Bearer user_4' });
    await eventually(() => shipmentGate.entered > entered, 'the handler to start');
    expect(running.app.get(OpenRequests).size).toBe(1);

    let settled = false;
    const settling = recorder.settled().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    recorder.expectNoEvents();

    shipmentGate.release();
    await settling;
    recorder.expectEvent('order_shipped', { externalId: 'user_4', data: { order_id: 'ord_3' } });
    expect((await response).status).toBe(201);
  });

  it('stitches the visitor to the new account on sign-up', async () => {
    await running.post('/accounts', { email: 'new@example.com' }, { 'x-anonymous-id': 'anon_visitor' });
    await recorder.waitFor('account_created');
    recorder.expectEvent('account_created', {
      externalId: expect.stringMatching(/^acc_/),
      anonymousId: 'anon_visitor',
      user: { email: 'new@example.com' },
    });
  });

  it('starts every test empty: clear() in beforeEach forgot what earlier tests recorded', () => {
    expect(recorder.events).toEqual([]);
    expect(running.app.get(SpotzeeTracker).stats().captured).toBeGreaterThan(0);
  });

  it('records events tracked outside any request at once, and schema rejections with their reason', () => {
    const orders = running.app.get(OrdersService);
    orders.renewSubscriptions([
      { customerId: 'cus_1', plan: 'pro' },
      { customerId: 'cus_2', plan: 'platinum' },
    ]);

    // No request to wait for: a job's events are committed synchronously.
    expect(recorder.named('subscription_renewed')).toEqual([
      { name: 'subscription_renewed', external_id: 'cus_1', data: { plan: 'pro' }, created_at: expect.any(String) },
    ]);
    expect(recorder.rejections).toHaveLength(1);
    expect(recorder.rejections[0]).toMatchObject({
      reason: 'schema_failed',
      param: 'data.plan',
      event: { name: 'subscription_renewed', externalId: 'cus_2' },
    });
  });

  it('keeps a data bug out of the recording and says why', () => {
    running.app.get(OrdersService).exportReport('cus_4', 10n);
    recorder.expectNoEvents('report_exported');
    expect(recorder.rejections.map(({ reason, event }) => [reason, event.name])).toEqual([
      ['not_serialisable', 'report_exported'],
    ]);
    expect(recorder.rejections[0]!.message).toContain('report_exported');
  });

  it('lists repeats of an idempotency key as deduplicated: not recorded, not dropped', () => {
    const orders = running.app.get(OrdersService);
    orders.renewSubscriptions([{ customerId: 'cus_5', plan: 'basic' }]);
    orders.renewSubscriptions([{ customerId: 'cus_5', plan: 'basic' }]);
    expect(recorder.named('subscription_renewed')).toHaveLength(1);
    expect(recorder.dropped).toEqual([]);
    expect(recorder.deduplicated.map(({ idempotencyKey, event }) => [idempotencyKey, event.name])).toEqual([
      [expect.stringMatching(/^subscription_renewed:/), 'subscription_renewed'],
    ]);
  });

  it('fails expectEvent with a message that shows what was recorded instead', async () => {
    await running.post('/orders/ord_1/cancel', {}, { authorization: 'Bearer user_6' });
    await recorder.waitFor(1);
    running.app.get(OrdersService).exportReport('cus_6', 1n);

    let failure: unknown;
    try {
      recorder.expectEvent('order_cancelled', { externalId: 'user_7', data: { order_id: 'ord_1' } });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(SpotzeeAssertionError);
    const message = (failure as Error).message;
    expect(message).toContain(
      'Expected a Spotzee event "order_cancelled" matching {"externalId":"user_7","data":{"order_id":"ord_1"}}',
    );
    expect(message).toContain('external_id: expected "user_7", got "user_6"');
    expect(message).toContain('Recorded Spotzee events (1):');
    expect(message).toContain(
      '1. order_cancelled external_id="user_6" data={"order_id":"ord_1"}  (POST /orders/:id/cancel)',
    );
    expect(message).toContain('Rejected at capture (1):');
    expect(message).toContain('- report_exported (not_serialisable)');

    expect(() => recorder.expectEvent('order_shipped')).toThrow('no "order_shipped" event was recorded.');
    expect(() => recorder.expectNoEvents('order_cancelled')).toThrow(
      'Expected no "order_cancelled" events, but 1 were recorded.',
    );
    expect(() => recorder.expectEvent('order_cancelled', { externalID: 'user_6' } as never)).toThrow(
      'unknown expectation key "externalID"',
    );
  });

  it('fails waitFor with what was recorded when the event never comes', async () => {
    await expect(recorder.waitFor('order_shipped', { timeoutMs: 50 })).rejects.toThrow(
      'Timed out after 50 ms waiting for 1 Spotzee "order_shipped" event.\n\nNo Spotzee events were recorded.',
    );
  });

  it('finds events with a partial expectation or a predicate', async () => {
    await running.post('/orders', { total: 10, email: 'a@example.com' }, { authorization: 'Bearer user_8' });
    await running.post('/orders', { total: 90, email: 'b@example.com' }, { authorization: 'Bearer user_9' });
    await recorder.waitFor('order_placed', { count: 2 });

    expect(recorder.find('order_placed', { data: { total: 90 } })?.external_id).toBe('user_9');
    expect(
      recorder.find('order_placed', (event: SpotzeeWireEvent) => event.external_id === 'user_8')?.data,
    ).toMatchObject({ total: 10 });
    expect(recorder.find('order_placed', { data: { total: 11 } })).toBeUndefined();
    expect(recorder.named('checkout_started')).toHaveLength(2);
  });

  it('runs the engine in dry-run mode with no key: it sends nothing and settles every event as delivered', async () => {
    const tracker = running.app.get(SpotzeeTracker);
    expect(running.app.get(SpotzeeRuntime).engine.options).toMatchObject({ dryRun: true, hasApiKey: false });
    running.app.get(OrdersService).renewSubscriptions([{ customerId: 'cus_10', plan: 'pro' }]);
    await tracker.flush();
    const stats = tracker.stats();
    expect(stats.pending).toBe(0);
    expect(stats.captured).toBe(stats.delivered + stats.rejected + stats.dropped + stats.deduplicated);
    expect(running.app.get(SPOTZEE_RECORDER)).toBe(recorder);
    // The module's own interceptor, extended only to tell the recorder when requests settle.
    expect(running.app.get(SpotzeeInterceptor)).toBeInstanceOf(RecordingSpotzeeInterceptor);
  });
});

describe("SpotzeeTestingModule in place of the application's own SpotzeeModule", () => {
  it('replaces the exact forRootAsync import with overrideModule, so the app boots without a key', async () => {
    await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow('SPOTZEE_API_KEY');

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideModule(spotzeeImport)
      .useModule(SpotzeeTestingModule.forRoot({ logger: SILENT_LOGGER }))
      .compile();
    const running = await listen(moduleRef, new ExpressAdapter());
    try {
      const recorder = running.app.get(SpotzeeRecorder);
      await running.post('/orders', { total: 5, email: 'o@example.com' }, { authorization: 'Bearer user_1' });
      await recorder.waitFor('order_placed');
      recorder.expectEvent('order_placed', { externalId: 'user_1', data: { total: 5 } });
    } finally {
      await running.app.close();
    }
  });

  it("keeps the app's own options (here its visitor header) with SpotzeeTestingModule.replacing(import)", async () => {
    const ownImport = SpotzeeModule.forRoot({
      apiKey: 'sk_live_never_sent_from_tests',
      anonymousIdHeader: 'x-visitor-id',
      logger: SILENT_LOGGER,
    });
    @Module({ imports: [ownImport, OrdersModule] })
    class OwnAppModule {}

    const visitorOf = async (replacement: DynamicModule): Promise<string | null | undefined> => {
      const moduleRef = await Test.createTestingModule({ imports: [OwnAppModule] })
        .overrideModule(ownImport)
        .useModule(replacement)
        .compile();
      const running = await listen(moduleRef, new ExpressAdapter());
      try {
        const recorder = running.app.get(SpotzeeRecorder);
        await running.post('/accounts', { email: 'v@example.com' }, { 'x-visitor-id': 'anon_own' });
        await recorder.settled();
        expect(running.app.get(SpotzeeRuntime).engine.options.dryRun).toBe(true);
        return recorder.find('account_created')?.anonymous_id;
      } finally {
        await running.app.close();
      }
    };

    expect(await visitorOf(SpotzeeTestingModule.replacing(ownImport))).toBe('anon_own');
    // A fresh forRoot() starts from the defaults: the app's header is not read, as the tests of the field found.
    expect(await visitorOf(SpotzeeTestingModule.forRoot({ logger: SILENT_LOGGER }))).toBeUndefined();
  });

  it('refuses anything but the module object the app imports, saying what to pass', () => {
    expect(() => SpotzeeTestingModule.replacing(SpotzeeModule as never)).toThrow(
      'SpotzeeTestingModule.replacing() takes the object your module imports',
    );
  });

  it('gives a unit test of a provider that injects the tracker everything it needs in one import', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SpotzeeTestingModule.forRoot()],
      providers: [OrdersService],
    }).compile();
    moduleRef.get(OrdersService).renewSubscriptions([{ customerId: 'cus_unit', plan: 'pro' }]);
    moduleRef.get(SpotzeeRecorder).expectEvent('subscription_renewed', { externalId: 'cus_unit' });
    await moduleRef.close();
  });

  it('takes options from ConfigService with forRootAsync, like the real module', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        SpotzeeTestingModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ VISITOR_HEADER: 'x-visitor-id' })] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            anonymousIdHeader: config.getOrThrow<string>('VISITOR_HEADER'),
            logger: SILENT_LOGGER,
          }),
        }),
        OrdersModule,
      ],
    }).compile();
    const running = await listen(moduleRef, new ExpressAdapter());
    try {
      const recorder = running.app.get(SpotzeeRecorder);
      await running.post('/accounts', { email: 'v@example.com' }, { 'x-visitor-id': 'anon_cfg' });
      await recorder.waitFor('account_created');
      recorder.expectEvent('account_created', { anonymousId: 'anon_cfg' });
      expect(running.app.get(SpotzeeRuntime).engine.options.dryRun).toBe(true);
    } finally {
      await running.app.close();
    }
  });
});

describe('SpotzeeTestingModule records what SpotzeeModule sends', () => {
  const emulator = suiteEmulator();

  /** The same requests against one app; returns the wire events with capture times blanked. */
  async function journey(running: PostingApp, collect: () => Promise<SpotzeeWireEvent[]>): Promise<SpotzeeWireEvent[]> {
    try {
      await running.post('/accounts', { email: 'p@example.com' }, { 'x-anonymous-id': 'anon_p' });
      await running.post(
        '/orders',
        { total: 42, email: 'p@example.com' },
        { authorization: 'Bearer acc_1', 'x-anonymous-id': 'anon_p' },
      );
      await running.post('/orders', { total: 0, email: 'p@example.com' }, { authorization: 'Bearer acc_1' });
      await running.post('/orders/ord_1/cancel', {}, { authorization: 'Bearer acc_1' });
      running.app.get(OrdersService).renewSubscriptions([{ customerId: 'acc_1', plan: 'pro' }]);
      return (await collect()).map((event) => ({ ...event, created_at: 'at capture' }));
    } finally {
      await running.app.close();
    }
  }

  it('records, event for event, the wire events the real module delivers', async () => {
    const real = await listen(
      await Test.createTestingModule({
        imports: [
          SpotzeeModule.forRoot({
            apiKey: EMULATOR_API_KEY,
            baseUrl: emulator().baseUrl,
            schemas,
            logger: SILENT_LOGGER,
          }),
          OrdersModule,
        ],
      }).compile(),
      new ExpressAdapter(),
    );
    const sent = await journey(real, async () => {
      await emulator().waitForEvents(5);
      return emulator().events.map(({ event }) => event);
    });

    const tested = await listen(
      await Test.createTestingModule({
        imports: [SpotzeeTestingModule.forRoot({ schemas, logger: SILENT_LOGGER }), OrdersModule],
      }).compile(),
      new ExpressAdapter(),
    );
    const recorded = await journey(tested, async () => {
      const recorder = tested.app.get(SpotzeeRecorder);
      await recorder.settled();
      return recorder.events;
    });

    expect(sent.map(({ name }) => name)).toEqual([
      'account_created',
      'checkout_started',
      'order_placed',
      'order_cancelled',
      'subscription_renewed',
    ]);
    expect(recorded).toEqual(sent);
  });
});
