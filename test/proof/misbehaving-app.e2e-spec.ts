import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Post, type INestApplication } from '@nestjs/common';
import { EMULATOR_API_KEY, SpotzeeEmulator } from '../../lib/emulator/index.js';
import {
  EmitsEvent,
  SpotzeeConfigurationError,
  SpotzeeModule,
  SpotzeeTracker,
  type DiscardedOutcome,
  type DroppedOutcome,
  type RejectedOutcome,
  type SpotzeeModuleOptions,
} from '../../lib/index.js';
import { createSpotzeeSettings } from '../../lib/spotzee-settings.factory.js';
import { SpotzeeRecorder, SpotzeeTestingModule } from '../../lib/testing/index.js';
import { eventually } from '../support/eventually.js';
import { startApp, startupError } from '../support/loopback-app.js';
import { PLATFORMS } from '../support/platforms.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { responseProbe } from '../support/response-probe.module.js';
import { misbehaving } from './fixtures/misbehaving.controller.js';
import { MisbehavingModule } from './fixtures/misbehaving.module.js';
import { SpotzeeRuntime } from '../../lib/spotzee.runtime.js';

const ASYNC_TIMEOUT_MS = 300;
const KEY = EMULATOR_API_KEY;

/** A Standard Schema that answers only when the test opens its gate. */
const gatedSchema = {
  '~standard': {
    version: 1 as const,
    vendor: 'test',
    validate: async (value: unknown) => {
      await misbehaving.schemaGate.promise;
      return { value };
    },
  },
};

/** A Standard Schema that never answers. */
const neverSchema = {
  '~standard': { version: 1 as const, vendor: 'test', validate: () => new Promise<never>(() => undefined) },
};

interface RequestLike {
  user?: { id: string };
  headers: Record<string, string | string[] | undefined>;
}

/** An async contact resolver, the way a Nest app that loads its session lazily writes one. */
async function asyncContact(context: { getArgByIndex<T>(index: number): T }) {
  const request = context.getArgByIndex<RequestLike>(0);
  const userId = request.user?.id;
  await Promise.resolve();
  const anonymous = request.headers['x-anonymous-id'];
  return { externalId: userId ?? null, anonymousId: typeof anonymous === 'string' ? anonymous : null };
}

function appOptions(emulator: SpotzeeEmulator, logger: RecordingLogger, extra: Partial<SpotzeeModuleOptions> = {}) {
  return {
    apiKey: KEY,
    baseUrl: emulator.baseUrl,
    flushIntervalMs: 60_000,
    logger,
    asyncTimeoutMs: ASYNC_TIMEOUT_MS,
    maxRequestEvents: 5,
    maxRequestBytes: 64 * 1024,
    contact: asyncContact as SpotzeeModuleOptions['contact'],
    schemas: { checked_later: gatedSchema, never_checked: neverSchema },
    ...extra,
  } satisfies SpotzeeModuleOptions;
}

function post(url: string, path: string, body: unknown = {}, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe.each(PLATFORMS)('an application that misbehaves, on %s', (_platform, createAdapter) => {
  let emulator: SpotzeeEmulator;
  let app: INestApplication;
  let url: string;
  let tracker: SpotzeeTracker;
  const logger = new RecordingLogger();
  const rejections: RejectedOutcome[] = [];
  const drops: DroppedOutcome[] = [];
  const discards: DiscardedOutcome[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    emulator = await SpotzeeEmulator.start();
    ({ app, url } = await startApp(
      { imports: [MisbehavingModule.register(appOptions(emulator, logger))] },
      createAdapter(),
    ));
    tracker = app.get(SpotzeeTracker);
    tracker.on('rejected', (outcome) => rejections.push(outcome));
    tracker.on('dropped', (outcome) => drops.push(outcome));
    tracker.on('discarded', (outcome) => discards.push(outcome));
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await app?.close();
    await emulator?.stop();
  });

  beforeEach(() => {
    emulator.reset();
    logger.clear();
    rejections.length = 0;
    drops.length = 0;
    discards.length = 0;
    unhandled.length = 0;
  });

  /** Every response done server-side (so commit/discard ran), then every captured event settled. */
  async function settle(): Promise<void> {
    await eventually(responseProbe.allClosed, 'all responses closed');
    await tracker.flush();
  }

  function sent(): Array<[string, unknown, unknown]> {
    return emulator.events.map(({ event }) => [event.name, event.external_id ?? null, event.data ?? null]);
  }

  function invariantHolds(): void {
    const stats = tracker.stats();
    expect(stats.captured).toBe(stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending);
  }

  describe('async mappers and resolvers', () => {
    it('awaits them before the commit; an async when that is false, rejects or never settles sends nothing; a rejection rejects only its event', async () => {
      const response = await post(
        url,
        '/m/async-mappers',
        { id: 'ord_1', email: 'ada@example.com' },
        { 'x-user-id': 'user_1' },
      );
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ id: 'ord_1', email: 'ada@example.com' });
      await settle();

      expect(emulator.events.map(({ event, idempotencyKey }) => [event, idempotencyKey])).toEqual([
        [
          {
            name: 'order_paid',
            external_id: 'user_1',
            data: { order_id: 'ord_1' },
            user: { email: 'ada@example.com' },
            created_at: expect.any(String),
          },
          expect.any(String),
        ],
      ]);
      // The app's contact resolver is async: a rejection does not wait for it, so it names no ids.
      expect(rejections.map((outcome) => [outcome.event.name, outcome.reason, outcome.param])).toEqual(
        expect.arrayContaining([
          ['when_rejected', 'invalid_data', 'when'],
          ['data_rejected', 'invalid_data', 'data'],
          ['when_never_settles', 'invalid_data', 'when'],
        ]),
      );
      expect(rejections).toHaveLength(3);
      expect(rejections.find((outcome) => outcome.event.name === 'when_rejected')!.message).toContain(
        'The "when" mapper of @EmitsEvent(\'when_rejected\') on POST /m/async-mappers threw: Error: when broke.',
      );
      expect(rejections.find((outcome) => outcome.event.name === 'when_never_settles')!.message).toContain(
        `did not settle within ${ASYNC_TIMEOUT_MS} ms (asyncTimeoutMs)`,
      );
      // The async idempotency key was awaited too: a second identical order is a duplicate.
      await post(url, '/m/async-mappers', { id: 'ord_1', email: 'ada@example.com' }, { 'x-user-id': 'user_1' });
      await settle();
      expect(emulator.events).toHaveLength(1);
      expect(unhandled).toEqual([]);
      invariantHolds();
    });

    it('an async contact mapper addresses the event to the new account, not the signed-in admin', async () => {
      await post(
        url,
        '/m/sign-up',
        { email: 'new@example.com' },
        { 'x-user-id': 'admin_1', 'x-anonymous-id': 'anon_3' },
      );
      await settle();
      expect(emulator.events.map(({ event }) => [event.name, event.external_id, event.anonymous_id])).toEqual([
        ['signed_up', 'user_new', 'anon_3'],
      ]);
    });

    it('resolves the contact for every event: a track() before sign-in does not lose the id for the rest of the request', async () => {
      await post(url, '/m/login-midway', {}, { 'x-anonymous-id': 'anon_9' });
      await settle();
      expect(emulator.events.map(({ event }) => [event.name, event.external_id ?? null, event.anonymous_id])).toEqual([
        ['visit_started', null, 'anon_9'],
        ['logged_in', 'user_late', 'anon_9'],
      ]);
    });
  });

  describe('discards are counted', () => {
    it('counts the events of a failed request: stats().discarded, a listener per event, one aggregated debug line', async () => {
      const before = tracker.stats();
      expect((await post(url, '/m/fails', {}, { 'x-user-id': 'user_2' })).status).toBe(400);
      await settle();
      await eventually(() => discards.length === 3, 'three discarded outcomes');
      expect(tracker.stats().discarded - before.discarded).toBe(3);
      expect(discards.map((outcome) => [outcome.event.name, outcome.event.externalId, outcome.reason])).toEqual([
        ['cart_viewed', 'user_2', 'the response status was 400'],
        ['cart_updated', 'user_2', 'the response status was 400'],
        ['checkout_started', 'user_2', 'the response status was 400'],
      ]);
      expect(emulator.events).toEqual([]);
      await eventually(() => logger.matching(/discarded/).length > 0, 'the aggregated discard line');
      expect(logger.lines.filter((line) => /discarded/.test(line.message))).toEqual([
        {
          level: 'debug',
          message:
            'Spotzee discarded 3 events of failed requests (commit-on-success; e.g. POST /m/fails: the response status was 400).',
        },
      ]);
      // Never captured: the invariant is about what was captured, and discards sit outside it.
      expect(tracker.stats().captured).toBe(before.captured);
      invariantHolds();
    });

    it('counts the events of a request whose client went away', async () => {
      misbehaving.handlerGate.reset();
      const entered = misbehaving.handlerEntered;
      const before = tracker.stats();
      const aborter = new AbortController();
      const pending = post(url, '/m/slow', {}, { 'x-user-id': 'user_3' }).catch(() => undefined);
      void pending;
      const request = fetch(`${url}/m/slow`, {
        method: 'POST',
        headers: { 'x-user-id': 'user_3' },
        signal: aborter.signal,
      }).catch(() => undefined);
      await eventually(() => misbehaving.handlerEntered === entered + 2, 'both handlers running');
      aborter.abort();
      await request;
      await eventually(() => tracker.stats().discarded - before.discarded === 1, 'the abandoned request discarded');
      misbehaving.handlerGate.open();
      await pending;
      await settle();
      expect(sent()).toEqual([['slow_started', 'user_3', null]]);
      expect(discards.map((outcome) => outcome.reason)).toEqual(['the client went away before the response was sent']);
    });

    it('commits what an SSE stream emitted when the client closes it (the normal end of a stream)', async () => {
      const aborter = new AbortController();
      const response = await fetch(`${url}/m/stream`, { headers: { 'x-user-id': 'user_sse' }, signal: aborter.signal });
      const reader = response.body!.getReader();
      let text = '';
      while (!text.includes('"i":2')) {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
      }
      aborter.abort();
      await settle();
      const ticks = emulator.events.filter(({ event }) => event.name === 'tick_streamed');
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      expect(ticks.slice(0, 3).map(({ event }) => [event.external_id, event.data])).toEqual([
        ['user_sse', { i: 0 }],
        ['user_sse', { i: 1 }],
        ['user_sse', { i: 2 }],
      ]);
      expect(discards).toEqual([]);
    });
  });

  describe('work that outlives its request', () => {
    it('is not discarded with a failed request: 50 job events with their own ids are all sent', async () => {
      const done = misbehaving.lateWork;
      const before = tracker.stats();
      expect((await post(url, '/m/fails-leaving-work', { count: 50 }, { 'x-user-id': 'user_4' })).status).toBe(400);
      await eventually(() => misbehaving.lateWork === done + 1, 'the late work ran');
      await settle();
      expect(emulator.events).toHaveLength(50);
      expect(new Set(emulator.events.map(({ event }) => event.external_id)).size).toBe(50);
      expect(tracker.stats().discarded).toBe(before.discarded);
    });

    it('does not inherit the contact of the request that started it', async () => {
      const done = misbehaving.lateWork;
      await post(url, '/m/succeeds-leaving-work', {}, { 'x-user-id': 'user_5' });
      await eventually(() => misbehaving.lateWork === done + 1, 'the late work ran');
      await settle();
      expect(emulator.events).toEqual([]);
      expect(rejections.map((outcome) => [outcome.event.name, outcome.reason, outcome.event.externalId])).toEqual([
        ['consumer_event', 'missing_contact', null],
      ]);
    });
  });

  describe('bounds', () => {
    it('bounds the events one request holds by count; each drop is reported', async () => {
      await post(url, '/m/many', { count: 8 }, { 'x-user-id': 'user_6' });
      await settle();
      expect(emulator.events).toHaveLength(5);
      expect(drops.map((outcome) => outcome.reason)).toEqual(['request_limit', 'request_limit', 'request_limit']);
      expect(drops[0]!.message).toContain('maxRequestEvents 5 / maxRequestBytes 65536');
      invariantHolds();
    });

    it('bounds the events one request holds by bytes', async () => {
      await post(url, '/m/many', { count: 4, bytes: 30_000 }, { 'x-user-id': 'user_6' });
      await settle();
      expect(emulator.events).toHaveLength(2);
      expect(drops.map((outcome) => outcome.reason)).toEqual(['request_limit', 'request_limit']);
    });

    it('refuses a 50 MB string before serialising it', async () => {
      const huge = 'x'.repeat(50 * 1024 * 1024);
      tracker.track('huge_import', { externalId: 'user_7', data: { huge } });
      await tracker.flush();
      expect(rejections.map((outcome) => [outcome.reason, outcome.param])).toEqual([['event_too_large', 'data']]);
      expect(rejections[0]!.message).toContain('refused before serialising');
    });
  });

  describe('async schemas', () => {
    it('count the event from the call and send the data as it was at capture', async () => {
      misbehaving.schemaGate.reset();
      const response = await post(url, '/m/mutate-after-track', {}, { 'x-user-id': 'user_8' });
      expect(await response.json()).toEqual({ pendingRightAfter: 0, capturedRightAfter: 0 });
      // In a request the contact resolver is async too: the schema starts once it answered.
      await eventually(() => tracker.stats().pending === 1, 'the event pending while its schema runs');
      invariantHolds();
      misbehaving.schemaGate.open();
      await settle();
      expect(sent()).toEqual([['checked_later', 'user_8', { total: 10 }]]);
    });

    it('count an event tracked outside a request from the call', async () => {
      misbehaving.schemaGate.reset();
      const before = tracker.stats();
      const data = { total: 5 };
      tracker.track('checked_later', { externalId: 'user_9', data });
      data.total = 6;
      const during = tracker.stats();
      expect([during.captured - before.captured, during.pending - before.pending]).toEqual([1, 1]);
      invariantHolds();
      misbehaving.schemaGate.open();
      await tracker.flush();
      expect(sent()).toEqual([['checked_later', 'user_9', { total: 5 }]]);
    });

    it('reject an event whose schema never settles, after asyncTimeoutMs, and flush() returns', async () => {
      tracker.track('never_checked', { externalId: 'user_10', data: { a: 1 } });
      await tracker.flush();
      expect(rejections.map((outcome) => [outcome.event.name, outcome.reason])).toEqual([
        ['never_checked', 'schema_failed'],
      ]);
      expect(rejections[0]!.message).toContain(`did not settle within ${ASYNC_TIMEOUT_MS} ms (asyncTimeoutMs)`);
      invariantHolds();
    });
  });

  describe('smaller holes', () => {
    it.each<[string, Record<string, unknown>, string, string]>([
      [
        'data whose toJSON returns a string',
        { externalId: 'u', data: { toJSON: 'string' } },
        'invalid_data',
        'toJSON() method that returns a string',
      ],
      [
        'a date that is not on the calendar',
        { externalId: 'u', createdAt: '2026-02-30T00:00:00Z' },
        'invalid_created_at',
        'createdAt must be a valid Date',
      ],
      ['a whitespace-only id', { externalId: '   ' }, 'missing_contact', 'neither externalId nor anonymousId'],
      [
        'a key with a lone surrogate',
        { externalId: 'u', idempotencyKey: 'order:\uD800' },
        'invalid_idempotency_key',
        'not well-formed Unicode',
      ],
    ])('refuses %s', async (_case, options, reason, message) => {
      const given = { ...options };
      if ((given.data as { toJSON?: unknown } | undefined)?.toJSON === 'string') {
        // JSON bodies cannot carry functions: the route gets a marker, the test a real toJSON.
        tracker.track('order_placed', { ...given, data: { total: 1, toJSON: () => 'flat' } } as never);
      } else {
        tracker.track('order_placed', given as never);
      }
      await tracker.flush();
      expect(rejections.map((outcome) => outcome.reason)).toEqual([reason]);
      expect(rejections[0]!.message).toContain(message);
      expect(emulator.events).toEqual([]);
    });

    it('keeps two idempotency keys that differ only in their lone surrogates apart: both are refused', async () => {
      const before = tracker.stats().deduplicated;
      tracker.track('order_placed', { externalId: 'u', idempotencyKey: 'order:\uD800' });
      tracker.track('order_placed', { externalId: 'u', idempotencyKey: 'order:\uD801' });
      await tracker.flush();
      expect(rejections.map((outcome) => outcome.reason)).toEqual([
        'invalid_idempotency_key',
        'invalid_idempotency_key',
      ]);
      expect(tracker.stats().deduplicated).toBe(before);
    });
  });
});

describe.each(PLATFORMS)('a logger that throws, on %s', (_platform, createAdapter) => {
  let emulator: SpotzeeEmulator;
  let app: INestApplication | undefined;
  const unexpected: unknown[] = [];
  const onError = (error: unknown) => unexpected.push(error);

  beforeAll(async () => {
    emulator = await SpotzeeEmulator.start();
    process.on('uncaughtException', onError);
  });

  afterAll(async () => {
    process.off('uncaughtException', onError);
    await app?.close();
    await emulator.stop();
  });

  it('never escapes a response listener, a mapper failure or a discard: the app keeps serving and sending', async () => {
    const calls: string[] = [];
    const throwing = (level: string) => () => {
      calls.push(level);
      throw new Error(`logger ${level} is broken`);
    };
    const logger = { log: throwing('log'), warn: throwing('warn'), error: throwing('error'), debug: throwing('debug') };
    let url: string;
    ({ app, url } = await startApp(
      {
        imports: [
          MisbehavingModule.register({
            apiKey: KEY,
            baseUrl: emulator.baseUrl,
            flushIntervalMs: 60_000,
            logger,
            asyncTimeoutMs: ASYNC_TIMEOUT_MS,
            contact: () => {
              throw new Error('resolver is broken too');
            },
          }),
        ],
      },
      createAdapter(),
    ));
    const tracker = app.get(SpotzeeTracker);
    expect((await post(url, '/m/fails', {}, { 'x-user-id': 'user_1' })).status).toBe(400);
    expect((await post(url, '/m/async-mappers', { id: 'o', email: 'e@example.com' })).status).toBe(201);
    expect((await post(url, '/m/sign-up', { email: 'x@example.com' })).status).toBe(201);
    await eventually(responseProbe.allClosed, 'all responses closed');
    await tracker.flush();
    expect(emulator.events.map(({ event }) => [event.name, event.external_id])).toEqual([['signed_up', 'user_new']]);
    expect(calls).toEqual(expect.arrayContaining(['warn']));
    expect(unexpected).toEqual([]);
    await app.close();
    app = undefined;
  });
});

describe('leftovers and refusals at the edges', () => {
  const emulatorOf = (() => {
    let emulator: SpotzeeEmulator | undefined;
    beforeAll(async () => {
      emulator = await SpotzeeEmulator.start();
    });
    afterAll(async () => {
      await emulator?.stop();
    });
    beforeEach(() => emulator?.reset());
    return () => emulator!;
  })();
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('close() reports an event whose schema has not settled: dropped, counted, in the report', async () => {
    const logger = new RecordingLogger();
    ({ app } = await startApp({
      imports: [
        MisbehavingModule.register(
          appOptions(emulatorOf(), logger, { asyncTimeoutMs: 600_000, shutdownDeadlineMs: 100 }),
        ),
      ],
    }));
    const tracker = app.get(SpotzeeTracker);
    const drops: DroppedOutcome[] = [];
    tracker.on('dropped', (outcome) => drops.push(outcome));
    tracker.track('never_checked', { externalId: 'user_1', data: { a: 1 } });
    expect(tracker.stats().pending).toBe(1);
    await app.close();
    app = undefined;
    expect(drops.map((outcome) => [outcome.event.name, outcome.reason])).toEqual([['never_checked', 'closed']]);
    expect(tracker.stats()).toMatchObject({ captured: 1, dropped: 1, pending: 0 });
    expect(
      logger.matching(/Spotzee drained .*1 dropped|dropped 1/).length + logger.matching(/1 dropped/).length,
    ).toBeGreaterThan(0);
  });

  it('decides a full queue before serialising: refused events are never turned into JSON', async () => {
    const logger = new RecordingLogger();
    ({ app } = await startApp({
      imports: [MisbehavingModule.register(appOptions(emulatorOf(), logger, { maxQueueEvents: 2 }))],
    }));
    const tracker = app.get(SpotzeeTracker);
    let serialised = 0;
    const probe = {
      toJSON: () => {
        serialised += 1;
        return 'probe';
      },
    };
    for (let i = 0; i < 5; i++) tracker.track('bulk_event', { externalId: `u${i}`, data: { probe } });
    expect(serialised).toBe(2);
    const stats = tracker.stats();
    expect([stats.captured, stats.dropped, stats.pending]).toEqual([5, 3, 2]);
  });

  it.each([
    ['asyncTimeoutMs', 0, 'expected a whole number from 1 to 600000'],
    ['maxRequestEvents', 1.5, 'expected a whole number from 1 to 10000000'],
    ['maxRequestBytes', '8MB', 'expected a whole number from 1024 to 1073741824'],
  ])('refuses %s: %p at start-up, saying what it expects', async (option, value, expected) => {
    const error = await startupError({ imports: [SpotzeeModule.forRoot({ apiKey: KEY, [option]: value })] });
    expect(error).toBeInstanceOf(SpotzeeConfigurationError);
    expect(error.message).toContain(`Invalid Spotzee option ${option}: ${expected}`);
  });

  it('SpotzeeConfigurationError.option never echoes the key', async () => {
    const error = await startupError({
      imports: [
        SpotzeeModule.forRoot({ apiKey: 'sk_test_echo_41f9', schemas: { sk_test_echo_41f9: 'not a schema' as never } }),
      ],
    });
    expect(error).toBeInstanceOf(SpotzeeConfigurationError);
    expect((error as SpotzeeConfigurationError).option).not.toContain('sk_test_echo_41f9');
    expect(error.message).not.toContain('sk_test_echo_41f9');
  });

  it('recorder.clear() forgets idempotency keys: the next test records the same domain event again', async () => {
    ({ app } = await startApp({ imports: [SpotzeeTestingModule.forRoot()] }));
    const recorder = app.get(SpotzeeRecorder);
    const tracker = app.get(SpotzeeTracker);
    tracker.track('order_placed', { externalId: 'u', idempotencyKey: 'order_placed:1' });
    await recorder.waitFor('order_placed');
    recorder.clear();
    tracker.track('order_placed', { externalId: 'u', idempotencyKey: 'order_placed:1' });
    await recorder.waitFor('order_placed');
    expect(recorder.events).toHaveLength(1);
  });
});

/** A second tracker for a second Spotzee project, provided under its own class. */
class SecondTracker extends SpotzeeTracker {}
const SECOND_RUNTIME = 'second-spotzee-runtime';

/** A request whose events go to two trackers, each with its own Spotzee project. */
@Controller('two')
class TwoTrackersController {
  constructor(
    private readonly first: SpotzeeTracker,
    private readonly second: SecondTracker,
  ) {}

  @Post()
  @EmitsEvent('decorated_first')
  both(): { ok: true } {
    this.first.track('tracked_first');
    this.second.track('tracked_second');
    this.first.track('tracked_first_again');
    return { ok: true };
  }
}

describe('two trackers in one request', () => {
  let first: SpotzeeEmulator;
  let second: SpotzeeEmulator;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    first = await SpotzeeEmulator.start();
    second = await SpotzeeEmulator.start();
    ({ app, url } = await startApp({
      imports: [SpotzeeModule.forRoot({ apiKey: KEY, baseUrl: first.baseUrl, flushIntervalMs: 60_000 })],
      controllers: [TwoTrackersController],
      providers: [
        {
          // A provider of its own, so Nest starts and drains its engine like the module's.
          provide: SECOND_RUNTIME,
          useFactory: () =>
            new SpotzeeRuntime(
              createSpotzeeSettings({ apiKey: KEY, baseUrl: second.baseUrl, flushIntervalMs: 60_000 }),
            ),
        },
        {
          provide: SecondTracker,
          useFactory: (runtime: SpotzeeRuntime) => new SecondTracker(runtime),
          inject: [SECOND_RUNTIME],
        },
      ],
    }));
  });

  afterAll(async () => {
    await app?.close();
    await first?.stop();
    await second?.stop();
  });

  it('sends each event to the tracker that captured it', async () => {
    await post(url, '/two', {}, { 'x-anonymous-id': 'anon_1' });
    await eventually(() => app.get(SpotzeeTracker).stats().captured === 3, 'the first tracker committed');
    await app.get(SpotzeeTracker).flush();
    await app.get(SecondTracker).flush();
    expect(first.events.map(({ event }) => event.name).sort()).toEqual([
      'decorated_first',
      'tracked_first',
      'tracked_first_again',
    ]);
    expect(second.events.map(({ event }) => [event.name, event.anonymous_id])).toEqual([['tracked_second', 'anon_1']]);
  });
});
