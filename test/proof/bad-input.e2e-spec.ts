import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Injectable, Post, type INestApplication } from '@nestjs/common';
import {
  EMULATOR_API_KEY,
  SpotzeeEmulator,
  type EmulatorFault,
  type FaultRequest,
  type InjectOptions,
} from '../../lib/emulator/index.js';
import {
  EmitsEvent,
  SpotzeeConfigurationError,
  SpotzeeModule,
  SpotzeeTracker,
  type BatchAttempt,
  type DeduplicatedOutcome,
  type DeliveredOutcome,
  type DeliveryHealth,
  type DroppedOutcome,
  type RejectedOutcome,
  type SpotzeeModuleOptions,
} from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp, startupError } from '../support/loopback-app.js';
import { RecordingLogger, type LogLevel } from '../support/recording-logger.js';
import { responseProbe } from '../support/response-probe.module.js';
import { BadInputModule } from './fixtures/bad-input.module.js';
import { badInputScenario } from './fixtures/bad-input.scenario.js';

const KEY = 'sk_test_badinput_7c1e4f';
const MAX_EVENT_BYTES = 4096;
const TRACK_SOURCE = '"order_placed" from POST /bad/track';

/** An outcome the case expects; `message` is a literal substring of the outcome's message. */
interface ExpectedOutcome {
  name: string;
  reason: string;
  message: string;
  param?: string;
  code?: string;
}

function matcher(expected: ExpectedOutcome): Record<string, unknown> {
  const { name, message, ...rest } = expected;
  return { event: expect.objectContaining({ name }), message: expect.stringContaining(message), ...rest };
}

class Money {
  constructor(readonly cents: number) {}
}

describe('bad input catalogue', () => {
  describe('module options refused at start-up, with how to fix them', () => {
    it.each<[string, Record<string, unknown>, string, string]>([
      [
        'a missing key',
        {},
        'apiKey',
        'Invalid Spotzee option apiKey: is missing. Pass your Spotzee secret key (sk_…), e.g. from the SPOTZEE_API_KEY environment variable, or set dryRun: true to run without sending.',
      ],
      [
        'a publishable key',
        { apiKey: 'pk_live_9d8c7b6a' },
        'apiKey',
        'Invalid Spotzee option apiKey: is a publishable key (pk_…), meant for browsers. A backend must use a secret key (sk_…) from your Spotzee project settings.',
      ],
      [
        'a key with a trailing newline',
        { apiKey: `${KEY}\n` },
        'apiKey',
        'Invalid Spotzee option apiKey: contains whitespace or control characters; check how the environment variable is loaded (a trailing newline?).',
      ],
      [
        'a malformed baseUrl',
        { apiKey: KEY, baseUrl: 'apix.spotzee.com/api/client' },
        'baseUrl',
        'Invalid Spotzee option baseUrl: is not an absolute URL; use the form https://apix.spotzee.com/api/client.',
      ],
      [
        'plain http to a remote host',
        { apiKey: KEY, baseUrl: 'http://api.example.com/api/client' },
        'baseUrl',
        'Invalid Spotzee option baseUrl: must use https for api.example.com: the API key would travel in clear text.',
      ],
      [
        'control characters in baseUrl',
        { apiKey: KEY, baseUrl: 'https://apix.spotzee.com/\r\nX-Evil: 1' },
        'baseUrl',
        'Invalid Spotzee option baseUrl: contains control characters; remove them.',
      ],
      [
        'credentials in baseUrl',
        { apiKey: KEY, baseUrl: 'https://me:secret@apix.spotzee.com/api/client' },
        'baseUrl',
        'Invalid Spotzee option baseUrl: must not contain credentials; pass the secret key as apiKey instead.',
      ],
      [
        'control characters in apiVersion',
        { apiKey: KEY, apiVersion: '2026-04-28\r\nX-Evil: 1' },
        'apiVersion',
        'Invalid Spotzee option apiVersion: expected a date YYYY-MM-DD such as 2026-04-28.',
      ],
      [
        'maxBatchEvents over 100',
        { apiKey: KEY, maxBatchEvents: 250 },
        'maxBatchEvents',
        'Invalid Spotzee option maxBatchEvents: expected an integer from 1 to 100 (Spotzee accepts at most 100 events per request), got 250.',
      ],
      [
        'a negative flushIntervalMs',
        { apiKey: KEY, flushIntervalMs: -1 },
        'flushIntervalMs',
        'Invalid Spotzee option flushIntervalMs: expected an integer from 0 to 3600000 (how long a partial batch waits, in ms), got -1.',
      ],
      [
        'a negative shutdownDeadlineMs',
        { apiKey: KEY, shutdownDeadlineMs: -5000 },
        'shutdownDeadlineMs',
        'Invalid Spotzee option shutdownDeadlineMs: expected an integer from 0 to 3600000 (how long close() drains, in ms), got -5000.',
      ],
      [
        'zero requests in flight',
        { apiKey: KEY, maxInFlight: 0 },
        'maxInFlight',
        'Invalid Spotzee option maxInFlight: expected an integer from 1 to 64 (concurrent requests to Spotzee), got 0.',
      ],
      [
        'an infinite requestTimeoutMs',
        { apiKey: KEY, requestTimeoutMs: Number.POSITIVE_INFINITY },
        'requestTimeoutMs',
        'Invalid Spotzee option requestTimeoutMs: expected an integer from 1 to 600000 (per-request timeout in ms), got Infinity.',
      ],
      [
        'a number given as a string',
        { apiKey: KEY, maxAttempts: '5' },
        'maxAttempts',
        'Invalid Spotzee option maxAttempts: expected an integer from 1 to 100 (attempts per batch, the first included), got "5".',
      ],
      [
        'a response bound too small to read an error',
        { apiKey: KEY, maxResponseBytes: 10 },
        'maxResponseBytes',
        'Invalid Spotzee option maxResponseBytes: expected an integer from 256 to 16777216',
      ],
      [
        'an event cap larger than the batch cap',
        { apiKey: KEY, maxBatchBytes: 4096, maxEventBytes: 8192 },
        'maxEventBytes',
        'Invalid Spotzee option maxEventBytes: expected an integer from 64 to 4094',
      ],
      [
        'an unknown overflow policy',
        { apiKey: KEY, overflow: 'block' },
        'overflow',
        "Invalid Spotzee option overflow: expected 'drop-newest' or 'drop-oldest', got \"block\".",
      ],
      [
        'a header name with a space',
        { apiKey: KEY, anonymousIdHeader: 'x anonymous id' },
        'anonymousIdHeader',
        'Invalid Spotzee option anonymousIdHeader: expected an HTTP header name such as "x-anonymous-id", got "x anonymous id".',
      ],
      [
        'a flag given as a string',
        { apiKey: KEY, sendOnFailedRequest: 'yes' },
        'sendOnFailedRequest',
        'Invalid Spotzee option sendOnFailedRequest: expected true or false, got "yes".',
      ],
      [
        'an unknown event name policy',
        { apiKey: KEY, eventNames: 'loud' },
        'eventNames',
        "Invalid Spotzee option eventNames: expected 'warn', 'strict' or 'off', got \"loud\".",
      ],
    ])('%s', async (_case, options, option, message) => {
      const error = await startupError({ imports: [SpotzeeModule.forRoot(options as SpotzeeModuleOptions)] });
      expect(error).toBeInstanceOf(SpotzeeConfigurationError);
      expect((error as SpotzeeConfigurationError).option).toBe(option);
      expect(error.message).toContain(message);
    });

    it('options that are not an object, from forRootAsync', async () => {
      const error = await startupError({
        imports: [SpotzeeModule.forRootAsync({ useFactory: () => null as unknown as SpotzeeModuleOptions })],
      });
      expect(error).toBeInstanceOf(SpotzeeConfigurationError);
      expect(error.message).toBe(
        'SpotzeeModule options must be an object, e.g. SpotzeeModule.forRoot({ apiKey: process.env.SPOTZEE_API_KEY }).',
      );
    });
  });

  describe('decorator misuse', () => {
    it.each<[string, () => MethodDecorator, string]>([
      [
        'an empty name',
        () => EmitsEvent(''),
        'Probe.handle: @EmitsEvent() needs a non-empty event name string, got "". Spotzee names are snake_case verbs',
      ],
      [
        'a blank name',
        () => EmitsEvent('   '),
        'Probe.handle: @EmitsEvent() needs a non-empty event name string, got "   ".',
      ],
      [
        'a name that is not a string',
        () => EmitsEvent(42 as never),
        'Probe.handle: @EmitsEvent() needs a non-empty event name string, got 42.',
      ],
      [
        'a data option that is not a function',
        () => EmitsEvent('order_placed', { data: 'order.id' as never }),
        `Probe.handle: @EmitsEvent('order_placed') option "data" must be a function (result, context) => …, got "order.id".`,
      ],
      [
        'an idempotencyKey given as a plain string',
        () => EmitsEvent('order_placed', { idempotencyKey: 'order_placed:1' as never }),
        `Probe.handle: @EmitsEvent('order_placed') option "idempotencyKey" must be a function (result, context) => …, got "order_placed:1".`,
      ],
      [
        'an unknown option',
        () => EmitsEvent('order_placed', { dta: () => ({}) } as never),
        `Probe.handle: @EmitsEvent('order_placed') has an unknown option "dta". Known options: data, identify, contact, idempotencyKey, when, schema.`,
      ],
      [
        'options that are not an object',
        () => EmitsEvent('order_placed', 'fast' as never),
        `Probe.handle: @EmitsEvent('order_placed', options) needs an options object or nothing, got "fast".`,
      ],
      [
        'a schema that is not one',
        () => EmitsEvent('order_placed', { schema: { parse: 1 } as never }),
        `Probe.handle: @EmitsEvent('order_placed') option "schema" must be a Standard Schema (zod, valibot, arktype…) or a class-validator DTO class.`,
      ],
    ])('%s fails where the class is defined', (_case, decorator, message) => {
      let thrown: unknown;
      try {
        class Probe {
          handle(): void {}
        }
        decorator()(Probe.prototype, 'handle', Object.getOwnPropertyDescriptor(Probe.prototype, 'handle')!);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SpotzeeConfigurationError);
      expect((thrown as SpotzeeConfigurationError).option).toBe('@EmitsEvent');
      expect((thrown as Error).message).toContain(message);
    });

    it('a name over maxNameLength fails the start-up, naming the handler', async () => {
      @Controller('long')
      class LongNameController {
        @Post()
        @EmitsEvent(`order_${'x'.repeat(60)}`)
        handle(): void {}
      }
      const error = await startupError({
        imports: [SpotzeeModule.forRoot({ apiKey: KEY, maxNameLength: 40 })],
        controllers: [LongNameController],
      });
      expect(error).toBeInstanceOf(SpotzeeConfigurationError);
      expect(error.message).toContain(
        `LongNameController.handle: @EmitsEvent('order_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…') has a 66-character name; the limit is 40 (option maxNameLength). Use a shorter name.`,
      );
    });

    it("a name that is not snake_case fails the start-up under eventNames: 'strict'", async () => {
      @Controller('camel')
      class CamelController {
        @Post()
        @EmitsEvent('OrderPlaced')
        handle(): void {}
      }
      const error = await startupError({
        imports: [SpotzeeModule.forRoot({ apiKey: KEY, eventNames: 'strict' })],
        controllers: [CamelController],
      });
      expect(error).toBeInstanceOf(SpotzeeConfigurationError);
      expect((error as SpotzeeConfigurationError).option).toBe('eventNames');
      expect(error.message).toContain(
        `Event name "OrderPlaced" (CamelController.handle) is not snake_case and the module uses eventNames: 'strict'.`,
      );
    });

    it('a decorator on a provider method is reported at start-up as one that can never send', async () => {
      @Injectable()
      class BillingService {
        @EmitsEvent('invoice_paid')
        pay(): void {}
      }
      const logger = new RecordingLogger();
      const { app } = await startApp({
        imports: [SpotzeeModule.forRoot({ apiKey: KEY, dryRun: true, logger })],
        providers: [BillingService],
      });
      await app.close();
      expect(logger.messages('warn')).toContainEqual(
        expect.stringContaining(
          "BillingService.pay: @EmitsEvent('invoice_paid') is on a provider method, where no interceptor runs, so it will never send anything.",
        ),
      );
    });
  });

  describe('at run time', () => {
    let emulator: SpotzeeEmulator;
    let app: INestApplication;
    let url: string;
    let tracker: SpotzeeTracker;
    const logger = new RecordingLogger();
    const rejected: RejectedOutcome[] = [];
    const dropped: DroppedOutcome[] = [];
    const deduplicated: DeduplicatedOutcome[] = [];
    const delivered: DeliveredOutcome[] = [];
    const attempts: BatchAttempt[] = [];
    const health: DeliveryHealth[] = [];

    beforeAll(async () => {
      emulator = await SpotzeeEmulator.start();
      ({ app, url } = await startApp({
        imports: [
          BadInputModule.register({
            apiKey: EMULATOR_API_KEY,
            baseUrl: emulator.baseUrl,
            logger,
            // Nothing leaves before the test flushes: each case's events travel as one batch.
            flushIntervalMs: 60_000,
            maxEventBytes: MAX_EVENT_BYTES,
            retryBaseMs: 1,
            retryMaxMs: 10,
            haltProbeIntervalMs: 50,
          }),
        ],
      }));
      tracker = app.get(SpotzeeTracker);
      tracker.on('rejected', (outcome) => rejected.push(outcome));
      tracker.on('dropped', (outcome) => dropped.push(outcome));
      tracker.on('deduplicated', (outcome) => deduplicated.push(outcome));
      tracker.on('delivered', (outcome) => delivered.push(outcome));
      tracker.on('attempt', (attempt) => attempts.push(attempt));
      tracker.on('health', (state) => health.push(state));
    });

    afterAll(async () => {
      await app?.close();
      await emulator?.stop();
    });

    /** Where this case's log lines start; earlier lines stay, since repeats of a problem are folded into one line. */
    let logMark = 0;
    const caseLog = (level: LogLevel): string[] =>
      logger.lines
        .slice(logMark)
        .filter((line) => line.level === level)
        .map((line) => line.message);

    beforeEach(() => {
      emulator.reset();
      logMark = logger.lines.length;
      for (const list of [rejected, dropped, deduplicated, delivered, attempts, health]) list.length = 0;
      badInputScenario.act = () => undefined;
    });

    /** Sends the user's request, checks it was served untouched, then waits until every event has an outcome. */
    async function request(route: string, headers: Record<string, string>): Promise<void> {
      const response = await fetch(`${url}/bad/${route}`, { method: 'POST', headers });
      expect({ status: response.status, body: await response.json() }).toEqual({
        status: 201,
        body: { ok: true, route },
      });
      await eventually(() => responseProbe.allClosed(), 'every response closed server-side');
      await tracker.flush();
      // A halted engine resolves flush() early; its probe then delivers what was held.
      await eventually(() => tracker.stats().pending === 0, 'every event settled');
    }

    function receivedNames(): string[] {
      return emulator.events.map(({ event }) => event.name);
    }

    function expectCountersToAddUp(): void {
      const stats = tracker.stats();
      expect(stats.captured).toBe(
        stats.delivered + stats.rejected + stats.dropped + stats.deduplicated + stats.pending,
      );
    }

    interface RequestCase {
      title: string;
      /** Default `track`: the route that runs `act`. Other routes carry a misused decorator. */
      route?: string;
      /** Default: signed in as user_1. */
      headers?: Record<string, string>;
      act?: (spotzee: SpotzeeTracker) => void;
      rejected?: ExpectedOutcome[];
      dropped?: ExpectedOutcome[];
      /** Repeats of an explicit idempotency key: settled without being sent, never dropped. */
      deduplicated?: Array<Omit<ExpectedOutcome, 'reason'> & { idempotencyKey: string }>;
      /** Event names Spotzee receives, in order. */
      delivered: string[];
    }

    /** The healthy neighbours every route emits: tracked in the handler, then from a decorator. */
    const COMPANIONS = ['companion_tracked', 'companion_emitted'];

    const requestCases: RequestCase[] = [
      {
        title: 'data with a circular reference',
        act: (spotzee) => {
          const order: Record<string, unknown> = { id: 'ord_1' };
          order.customer = { lastOrder: order };
          spotzee.track('order_placed', { data: { order } });
        },
        rejected: [
          {
            name: 'order_placed',
            reason: 'not_serialisable',
            param: 'data.order.customer.lastOrder',
            message: `Spotzee event ${TRACK_SOURCE} rejected: data.order.customer.lastOrder refers back to one of its parents (a circular structure). Map the object to plain fields before tracking it.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a BigInt in data',
        act: (spotzee) => spotzee.track('order_placed', { data: { total: { cents: 1999n } } }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'not_serialisable',
            param: 'data.total.cents',
            message: `Spotzee event ${TRACK_SOURCE} rejected: data.total.cents is a BigInt, which JSON cannot represent. Convert it, e.g. String(value) or Number(value).`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a toJSON that throws',
        act: (spotzee) =>
          spotzee.track('order_placed', {
            data: {
              total: {
                toJSON: () => {
                  throw new Error('decimal not loaded');
                },
              },
            },
          }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'not_serialisable',
            message: `Spotzee event ${TRACK_SOURCE} rejected: the payload cannot be serialised to JSON (decimal not loaded).`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'huge data',
        act: (spotzee) => spotzee.track('order_placed', { data: { notes: 'x'.repeat(10_000) } }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'event_too_large',
            param: 'data',
            message: `over maxEventBytes (${MAX_EVENT_BYTES}). Send identifiers and the fields journeys need, not whole records.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'data that is an array',
        act: (spotzee) => spotzee.track('order_placed', { data: ['ord_1', 'ord_2'] as never }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_data',
            param: 'data',
            message: `Spotzee event ${TRACK_SOURCE} rejected: data must be a plain object, got an array. Wrap it, e.g. { items: [...] } or { at: date.toISOString() }.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'data that is a string',
        act: (spotzee) => spotzee.track('order_placed', { data: 'ord_1' as never }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_data',
            param: 'data',
            message: `Spotzee event ${TRACK_SOURCE} rejected: data must be a plain object, got a string.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'data that is a Date instance',
        act: (spotzee) => spotzee.track('order_placed', { data: new Date('2026-04-28T09:30:00Z') as never }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_data',
            param: 'data',
            message: `Spotzee event ${TRACK_SOURCE} rejected: data must be a plain object, got a Date instance.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'data that is a class instance',
        act: (spotzee) => spotzee.track('order_placed', { data: new Money(1999) as never }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_data',
            param: 'data',
            message: 'data must be a plain object, got a Money instance.',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'missing contact ids (nobody signed in, no visitor header)',
        headers: {},
        act: (spotzee) => spotzee.track('newsletter_opened', { externalId: 'user_explicit' }),
        rejected: [
          {
            name: 'companion_tracked',
            reason: 'missing_contact',
            param: 'externalId',
            message:
              'Spotzee event "companion_tracked" from POST /bad/track rejected: it has neither externalId nor anonymousId. request.user is not set (no auth guard on this route?) and no anonymous id header was sent. If your auth keeps the user somewhere else, set the contact option: (context) => ({ externalId }).',
          },
          {
            name: 'companion_emitted',
            reason: 'missing_contact',
            param: 'externalId',
            message:
              'Spotzee event "companion_emitted" from POST /bad/track rejected: it has neither externalId nor anonymousId.',
          },
        ],
        delivered: ['newsletter_opened'],
      },
      {
        title: 'a user object where the externalId belongs',
        act: (spotzee) => spotzee.track('order_placed', { externalId: { id: 42 } as never }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_contact',
            param: 'externalId',
            message: `Spotzee event ${TRACK_SOURCE} rejected: externalId must be a string or a finite number, got an object. Pass the id itself, e.g. user.id rather than user.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'an empty name via track()',
        act: (spotzee) => spotzee.track(''),
        rejected: [
          {
            name: '',
            reason: 'invalid_name',
            param: 'name',
            message:
              'Spotzee event "" from POST /bad/track rejected: the name is empty. Use a snake_case verb such as "order_placed".',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a name that is not a string',
        act: (spotzee) => spotzee.track(42 as never),
        rejected: [
          {
            name: '<a number>',
            reason: 'invalid_name',
            param: 'name',
            message:
              'Spotzee event "<a number>" from POST /bad/track rejected: the name must be a string, got a number.',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a name with a newline',
        act: (spotzee) => spotzee.track('order_placed\nINFO forged log line'),
        rejected: [
          {
            name: 'order_placed\nINFO forged log line',
            reason: 'invalid_name',
            param: 'name',
            message:
              'Spotzee event "order_placed\\nINFO forged log line" from POST /bad/track rejected: the name contains control characters (a newline?). Remove them.',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a name over maxNameLength',
        act: (spotzee) => spotzee.track(`order_${'placed'.repeat(50)}`),
        rejected: [
          {
            name: `order_${'placed'.repeat(50)}`,
            reason: 'invalid_name',
            param: 'name',
            message:
              'rejected: the name is 306 characters long, over the limit of 255. Use a short, stable snake_case name.',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'an invalid createdAt',
        act: (spotzee) => spotzee.track('order_placed', { createdAt: 'yesterday' }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_created_at',
            param: 'createdAt',
            message: `Spotzee event ${TRACK_SOURCE} rejected: createdAt must be a valid Date or an ISO-8601 string with a time zone, e.g. "2026-04-28T09:30:00.000Z".`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a createdAt without a time zone',
        act: (spotzee) => spotzee.track('order_placed', { createdAt: '2026-04-28T09:30:00' }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_created_at',
            param: 'createdAt',
            message: 'createdAt must be a valid Date or an ISO-8601 string with a time zone',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'an unknown identify field',
        act: (spotzee) =>
          spotzee.track('order_placed', { identify: { email: 'ada@example.com', plan: 'pro' } as never }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_user',
            param: 'user.plan',
            message: `Spotzee event ${TRACK_SOURCE} rejected: identify has an unknown field "plan". Allowed: email, phone, timezone, locale, data (put custom attributes under data).`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a non-string identify.email',
        act: (spotzee) => spotzee.track('order_placed', { identify: { email: 42 } as never }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_user',
            param: 'user.email',
            message: `Spotzee event ${TRACK_SOURCE} rejected: identify.email must be a string or null, got a number.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'an idempotency key with CR/LF via track()',
        act: (spotzee) => spotzee.track('order_placed', { idempotencyKey: 'order_placed:ord_1\r\nX-Injected: yes' }),
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_idempotency_key',
            param: 'idempotencyKey',
            message: `Spotzee event ${TRACK_SOURCE} rejected: idempotencyKey contains control characters. Remove them.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'the same domain event twice in one request',
        act: (spotzee) => {
          spotzee.track('order_placed', { idempotencyKey: 'order_placed:ord_twice', data: { copy: 1 } });
          spotzee.track('order_placed', { idempotencyKey: 'order_placed:ord_twice', data: { copy: 2 } });
        },
        deduplicated: [
          {
            name: 'order_placed',
            idempotencyKey: 'order_placed:ord_twice',
            message: `Spotzee event ${TRACK_SOURCE} not sent again: idempotencyKey "order_placed:ord_twice" was already captured within the dedupe window.`,
          },
        ],
        delivered: ['order_placed', ...COMPANIONS],
      },
      {
        title: 'a data mapper that throws',
        route: 'data-mapper-throws',
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_data',
            param: 'data',
            message: `The "data" mapper of @EmitsEvent('order_placed') on POST /bad/data-mapper-throws threw: TypeError: Cannot read properties of undefined (reading 'total'). The request was not affected and the event was not sent; fix the mapper`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a data mapper that returns an array',
        route: 'data-mapper-returns-array',
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_data',
            param: 'data',
            message:
              'Spotzee event "order_placed" from POST /bad/data-mapper-returns-array rejected: data must be a plain object, got an array.',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'an identify mapper that throws',
        route: 'identify-mapper-throws',
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_user',
            param: 'identify',
            message: `The "identify" mapper of @EmitsEvent('order_placed') on POST /bad/identify-mapper-throws threw: Error: customer not loaded.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a when predicate that throws',
        route: 'when-throws',
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_data',
            param: 'when',
            message: `The "when" mapper of @EmitsEvent('order_placed') on POST /bad/when-throws threw: RangeError: no total.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a contact mapper that returns a string',
        route: 'contact-mapper-returns-string',
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_contact',
            param: 'contact',
            message: `The "contact" mapper of @EmitsEvent('order_placed') on POST /bad/contact-mapper-returns-string returned "user_1"; it must return an object or undefined.`,
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'an idempotencyKey mapper that returns a number',
        route: 'key-mapper-returns-number',
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_idempotency_key',
            param: 'idempotencyKey',
            message:
              'Spotzee event "order_placed" from POST /bad/key-mapper-returns-number rejected: idempotencyKey must be a string of 1 to 255 characters, got a number. Use a stable key such as "order_placed:ord_42".',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'an idempotencyKey mapper that returns a string with CR/LF',
        route: 'key-mapper-returns-crlf',
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_idempotency_key',
            param: 'idempotencyKey',
            message:
              'Spotzee event "order_placed" from POST /bad/key-mapper-returns-crlf rejected: idempotencyKey contains control characters. Remove them.',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'an idempotencyKey mapper that returns 263 characters',
        route: 'key-mapper-returns-long',
        rejected: [
          {
            name: 'order_placed',
            reason: 'invalid_idempotency_key',
            param: 'idempotencyKey',
            message: 'idempotencyKey must be a string of 1 to 255 characters, got 263 characters.',
          },
        ],
        delivered: COMPANIONS,
      },
      {
        title: 'a blank anonymous id header (treated as absent, never sent as an id)',
        headers: { 'x-anonymous-id': '   ' },
        act: (spotzee) => spotzee.track('newsletter_opened', { anonymousId: 'visitor_explicit' }),
        rejected: [
          {
            name: 'companion_tracked',
            reason: 'missing_contact',
            message: 'it has neither externalId nor anonymousId',
          },
          {
            name: 'companion_emitted',
            reason: 'missing_contact',
            message: 'it has neither externalId nor anonymousId',
          },
        ],
        delivered: ['newsletter_opened'],
      },
      {
        title: 'an anonymous id header larger than an event may be',
        headers: { 'x-anonymous-id': `visitor_${'v'.repeat(6000)}` },
        act: (spotzee) => spotzee.track('newsletter_opened', { anonymousId: 'visitor_explicit' }),
        rejected: [
          {
            name: 'companion_tracked',
            reason: 'event_too_large',
            param: 'data',
            message: `over maxEventBytes (${MAX_EVENT_BYTES})`,
          },
          {
            name: 'companion_emitted',
            reason: 'event_too_large',
            param: 'data',
            message: `over maxEventBytes (${MAX_EVENT_BYTES})`,
          },
        ],
        delivered: ['newsletter_opened'],
      },
    ];

    it.each(requestCases.map((testCase) => [testCase.title, testCase] as const))(
      'event input: %s costs only its own event',
      async (_title, testCase) => {
        const route = testCase.route ?? 'track';
        const before = tracker.stats();
        badInputScenario.act = testCase.act ?? (() => undefined);
        await request(route, testCase.headers ?? { 'x-user-id': 'user_1' });

        expect(rejected).toEqual(
          (testCase.rejected ?? []).map((expected) => expect.objectContaining(matcher(expected))),
        );
        expect(dropped).toEqual((testCase.dropped ?? []).map((expected) => expect.objectContaining(matcher(expected))));
        expect(deduplicated).toEqual(
          (testCase.deduplicated ?? []).map(({ name, message, idempotencyKey }) =>
            expect.objectContaining({
              event: expect.objectContaining({ name }),
              message: expect.stringContaining(message),
              idempotencyKey,
            }),
          ),
        );
        expect(receivedNames()).toEqual(testCase.delivered);
        const after = tracker.stats();
        expect(after.rejected - before.rejected).toBe(rejected.length);
        expect(after.dropped - before.dropped).toBe(dropped.length);
        expect(after.deduplicated - before.deduplicated).toBe(deduplicated.length);
        expect(after.delivered - before.delivered).toBe(testCase.delivered.length);
        expect(after.captured - before.captured).toBe(
          rejected.length + dropped.length + deduplicated.length + testCase.delivered.length,
        );
        expectCountersToAddUp();
        // Each kind of problem is said as a warning naming the event and the route: once, then folded
        // into a count (so the case that first met it, in this run, is where its line was written).
        for (const outcome of rejected) {
          const said = outcome.message.startsWith('Spotzee event ')
            ? outcome.message.slice(0, outcome.message.indexOf(' rejected: ') + 10)
            : outcome.message;
          expect(logger.messages('warn')).toContainEqual(expect.stringContaining(said));
        }
      },
    );

    interface ServerCase {
      title: string;
      fault: EmulatorFault;
      inject?: InjectOptions;
      /** Track the second batch item with `poison: true` (what a fault's `match` looks for). */
      poison?: boolean;
      /** [status, decision] of every HTTP attempt, in any order. */
      attempts: Array<[number | null, BatchAttempt['decision']]>;
      rejected?: ExpectedOutcome[];
      /** Event names Spotzee ends up with, in any order. */
      delivered: string[];
      /** The engine halts (401/403/404…), then its probe finds Spotzee healthy again and delivers. */
      halts?: boolean;
      /** A line the operator reads for this answer (retry lines are folded across cases, so those use the attempt's error). */
      log?: [LogLevel, string];
      /** What the first attempt reports as its error. */
      firstAttemptError?: string;
      replayed?: boolean;
    }

    const BATCH = ['batch_item', 'batch_item', 'companion_tracked', 'companion_emitted'];
    const poisoned = (request: FaultRequest): boolean => request.body.includes('"poison":true');

    const serverCases: ServerCase[] = [
      {
        title: 'a 503 with a malformed JSON error body',
        fault: {
          kind: 'raw',
          status: 503,
          headers: { 'content-type': 'application/problem+json' },
          body: '{"status":"error","code":',
        },
        attempts: [
          [503, 'retry'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
        firstAttemptError: 'HTTP 503 no code (request_id req_',
      },
      {
        title: 'an HTML error page',
        fault: {
          kind: 'raw',
          status: 502,
          headers: { 'content-type': 'text/html' },
          body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
        },
        attempts: [
          [502, 'retry'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
      },
      {
        title: 'an unexpected 200 with a JSON body',
        fault: { kind: 'raw', status: 200, body: { accepted: 4, results: [{ index: 0, status: 'ok' }] }, accept: true },
        attempts: [[200, 'delivered']],
        delivered: BATCH,
      },
      {
        title: 'a 204 marked Idempotent-Replayed',
        fault: { kind: 'raw', status: 204, headers: { 'idempotent-replayed': 'true' }, accept: true },
        attempts: [[204, 'delivered']],
        delivered: BATCH,
        replayed: true,
      },
      {
        title: 'an unknown error code on a 5xx',
        fault: {
          kind: 'raw',
          status: 500,
          body: { status: 'error', code: 'quantum_flux_unstable', message: 'Try again.' },
        },
        attempts: [
          [500, 'retry'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
        firstAttemptError: 'HTTP 500 quantum_flux_unstable "Try again." (request_id req_',
      },
      {
        title: 'a deprecated numeric code on a 503',
        fault: { kind: 'raw', status: 503, body: { status: 'error', code: 50301, message: 'Busy' } },
        attempts: [
          [503, 'retry'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
        firstAttemptError: 'HTTP 503 no code "Busy" (request_id req_',
      },
      {
        title: 'an unknown error code on a 4xx (not retried)',
        fault: {
          kind: 'raw',
          status: 418,
          body: { status: 'error', code: 'teapot_brewing', message: 'I am a teapot.' },
        },
        attempts: [[418, 'rejected']],
        rejected: BATCH.map((name) => ({
          name,
          reason: 'server_rejected',
          code: 'teapot_brewing',
          message: `Spotzee rejected event "${name}" from POST /bad/track: HTTP 418 teapot_brewing "I am a teapot." (request_id req_`,
        })),
        delivered: [],
        log: ['warn', 'Not retrying (Spotzee asks clients not to retry this status); its 4 events were rejected.'],
      },
      {
        title: 'a multi-megabyte error body',
        fault: {
          kind: 'raw',
          status: 500,
          headers: { 'content-type': 'application/problem+json' },
          body: `{"status":"error","code":"internal_error","message":"${'x'.repeat(3 * 1024 * 1024)}"}`,
        },
        attempts: [
          [500, 'retry'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
        firstAttemptError: 'HTTP 500 no code (request_id req_',
      },
      {
        title: 'a 401 (the key was refused)',
        fault: {
          kind: 'raw',
          status: 401,
          body: { status: 'error', code: 'authentication_required', message: 'Invalid API key.' },
        },
        attempts: [
          [401, 'halted'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
        halts: true,
        log: [
          'error',
          'Spotzee delivery HALTED: Spotzee refused the API key: check that apiKey is a valid secret key (sk_…) for this project. HTTP 401 authentication_required "Invalid API key."',
        ],
      },
      {
        title: 'a 403 (permission denied)',
        fault: {
          kind: 'raw',
          status: 403,
          body: { status: 'error', code: 'permission_denied', message: 'This key cannot write events.' },
        },
        attempts: [
          [403, 'halted'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
        halts: true,
        log: ['error', 'Spotzee delivery HALTED: Spotzee refused the API key'],
      },
      {
        title: 'a 404 (wrong baseUrl)',
        fault: { kind: 'raw', status: 404, body: '<html>Not Found</html>' },
        attempts: [
          [404, 'halted'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
        halts: true,
        log: ['error', 'Spotzee delivery HALTED: Check baseUrl ('],
      },
      {
        title: 'a 413 (body too large)',
        fault: {
          kind: 'raw',
          status: 413,
          body: { status: 'error', code: 'payload_too_large', message: 'Too large.' },
        },
        attempts: [
          [413, 'split'],
          [204, 'delivered'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
      },
      {
        title: 'a 422 naming one item',
        fault: {
          kind: 'raw',
          status: 422,
          body: {
            status: 'error',
            code: 'validation_failed',
            message: '1 of 4 events are invalid.',
            errors: [{ param: '1.data', code: 'parameter_invalid_type', message: 'data must be an object or null.' }],
          },
        },
        attempts: [
          [422, 'rejected'],
          [204, 'delivered'],
        ],
        rejected: [
          {
            name: 'batch_item',
            reason: 'server_rejected',
            param: 'data',
            code: 'parameter_invalid_type',
            message:
              'Spotzee rejected event "batch_item" from POST /bad/track: data: data must be an object or null. (code parameter_invalid_type, request_id req_',
          },
        ],
        delivered: ['batch_item', 'companion_tracked', 'companion_emitted'],
        log: ['warn', 'Resending the other 3 as a new batch.'],
      },
      {
        title: 'a 400 naming no item, until the bad event is alone',
        fault: {
          kind: 'raw',
          status: 400,
          body: { status: 'error', code: 'parameter_invalid', message: 'Something in this batch is invalid.' },
        },
        inject: { times: Infinity, match: poisoned },
        poison: true,
        attempts: [
          [400, 'split'],
          [400, 'split'],
          [400, 'rejected'],
          [204, 'delivered'],
          [204, 'delivered'],
        ],
        rejected: [
          {
            name: 'batch_item',
            reason: 'server_rejected',
            code: 'parameter_invalid',
            message:
              'Spotzee rejected event "batch_item" from POST /bad/track: HTTP 400 parameter_invalid "Something in this batch is invalid."',
          },
        ],
        delivered: ['batch_item', 'companion_tracked', 'companion_emitted'],
      },
      {
        title: 'a 409 idempotency_key_mismatch',
        fault: {
          kind: 'raw',
          status: 409,
          body: { status: 'error', code: 'idempotency_key_mismatch', message: 'Key reused with a different body.' },
        },
        attempts: [[409, 'rejected']],
        rejected: BATCH.map((name) => ({
          name,
          reason: 'idempotency_key_mismatch',
          code: 'idempotency_key_mismatch',
          message: `Spotzee rejected event "${name}" from POST /bad/track: HTTP 409 idempotency_key_mismatch`,
        })),
        delivered: [],
        log: ['error', 'Spotzee answered 409 idempotency_key_mismatch for batch spz_'],
      },
      {
        title: 'a redirect',
        fault: { kind: 'raw', status: 302, headers: { location: 'https://elsewhere.example.com/events' } },
        attempts: [
          [302, 'halted'],
          [204, 'delivered'],
        ],
        delivered: BATCH,
        halts: true,
        log: ['error', 'Spotzee delivery HALTED: Check baseUrl ('],
      },
    ];

    it.each(serverCases.map((testCase) => [testCase.title, testCase] as const))(
      'server answer: %s',
      async (_title, testCase) => {
        emulator.inject(testCase.fault, testCase.inject ?? { times: 1 });
        badInputScenario.act = (spotzee) => {
          spotzee.track('batch_item', { data: { i: 0 } });
          spotzee.track('batch_item', { data: testCase.poison ? { i: 1, poison: true } : { i: 1 } });
        };
        await request('track', { 'x-user-id': 'user_1' });

        const summary = (list: Array<[number | null, string]>): string[] =>
          list.map(([status, decision]) => `${status} ${decision}`).sort();
        expect(summary(attempts.map((attempt) => [attempt.status, attempt.decision]))).toEqual(
          summary(testCase.attempts),
        );
        expect(rejected).toEqual(
          (testCase.rejected ?? []).map((expected) => expect.objectContaining(matcher(expected))),
        );
        expect(dropped).toEqual([]);
        expect(receivedNames().sort()).toEqual([...testCase.delivered].sort());
        expect(delivered).toHaveLength(testCase.delivered.length);
        expectCountersToAddUp();

        // A rejection carries the request id Spotzee answered with, so support can find it.
        const answered = new Set(emulator.requests.map((record) => record.requestId));
        for (const outcome of rejected) expect(answered.has(String(outcome.requestId))).toBe(true);
        // Retries resend the frozen batch byte for byte, under the same key; a changed event set gets a new key.
        const byKey = new Map<string, Set<string>>();
        for (const record of emulator.requests) {
          byKey.set(
            String(record.idempotencyKey),
            (byKey.get(String(record.idempotencyKey)) ?? new Set()).add(record.body),
          );
        }
        for (const bodies of byKey.values()) expect(bodies.size).toBe(1);
        if (testCase.replayed !== undefined) {
          expect(delivered.every((outcome) => outcome.replayed === testCase.replayed)).toBe(true);
        }
        if (testCase.halts) {
          expect(health.map((state) => state.halted)).toEqual([true, false]);
          expect(tracker.health()).toMatchObject({ healthy: true, halted: false });
        } else {
          expect(health).toEqual([]);
        }
        if (testCase.firstAttemptError !== undefined) {
          expect(attempts[0]!.error).toContain(testCase.firstAttemptError);
        }
        if (testCase.log) {
          const [level, text] = testCase.log;
          expect(caseLog(level)).toContainEqual(expect.stringContaining(text));
        }
        // Whatever the answer, its body never reaches a log line in bulk.
        expect(logger.lines.slice(logMark).every((line) => line.message.length < 4000)).toBe(true);
      },
    );
  });
});
