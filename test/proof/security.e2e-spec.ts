import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Param,
  Post,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { inspect } from 'node:util';
import { hasControlCharacters } from '../../lib/delivery/prepare/control-characters.js';
import { SpotzeeEmulator } from '../../lib/emulator/index.js';
import { createDefaultContactResolver } from '../../lib/contact.resolver.js';
import { UndiciTransport } from '../../lib/delivery/index.js';
import {
  EmitsEvent,
  InjectSpotzee,
  SPOTZEE_DELIVERY_SEAMS,
  SpotzeeConfigurationError,
  SpotzeeModule,
  SpotzeeTracker,
  type DeliveryEvents,
  type RejectedOutcome,
  type SpotzeeModuleOptions,
} from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp, startupError } from '../support/loopback-app.js';
import { ObservingTransport } from '../support/observing-transport.js';
import { responseProbe, ResponseProbeModule } from '../support/response-probe.module.js';
import { CapturingNestLogger } from './support/capturing-nest-logger.js';
import { OutputCapture } from './support/output-capture.js';
import { SpotzeeRuntime } from '../../lib/spotzee.runtime.js';

/** Distinctive, so that any copy of it, whole or in part, is found wherever it ends up. */
const SECRET = 'Pr00fK3y_9f2c4e7a1b';
const KEY = `sk_live_${SECRET}`;
const FRAGMENTS = [KEY, SECRET, SECRET.slice(-10)];
const LISTENER_TYPES: Array<keyof DeliveryEvents> = [
  'captured',
  'delivered',
  'rejected',
  'dropped',
  'outcome',
  'attempt',
  'health',
];
const MIB = 1024 * 1024;

let capture = new OutputCapture();
const nestLogger = new CapturingNestLogger(() => capture);
/** What a buggy dependency of the app might throw: an error that quotes the configuration, key included. */
const configDump = `config: {"SPOTZEE_API_KEY":"${KEY}"}`;

@Controller('sec')
class SecurityController {
  constructor(@InjectSpotzee() private readonly spotzee: SpotzeeTracker) {}

  @Post('orders/:id')
  @EmitsEvent('order_placed', {
    data: (order: { id: string }) => ({ order_id: order.id }),
    idempotencyKey: (order: { id: string }) => `order_placed:${order.id}`,
  })
  place(@Param('id') id: string): { id: string } {
    this.spotzee.track('stock_reserved', { data: { order_id: id } });
    return { id };
  }

  @Post('bad-events/:run')
  badEvents(@Param('run') run: string): { ok: true } {
    const order: Record<string, unknown> = { id: 'ord_1' };
    order.self = order;
    this.spotzee.track('order_placed', { data: { order } });
    for (const key of [
      'order_placed:1\r\nAuthorization: Bearer sk_live_forged',
      'order_placed:2\nX: 1',
      'order_placed:3\u0000',
      'order_placed:4\u007f',
    ]) {
      this.spotzee.track('order_keyed', { idempotencyKey: key });
    }
    // Unique per run: the dedupe window would rightly drop a second capture of the same key.
    this.spotzee.track('order_unicode', { idempotencyKey: `order_placed:ключ✓ ${run}` });
    return { ok: true };
  }

  @Post('mapper-quotes-key')
  @EmitsEvent('receipt_sent', {
    data: () => {
      throw new Error(`mailer not configured, ${configDump}`);
    },
  })
  mapperQuotesKey(): { ok: true } {
    return { ok: true };
  }
}

function seams(transport: ObservingTransport): DynamicModule {
  return {
    module: class SeamsModule {},
    global: true,
    providers: [{ provide: SPOTZEE_DELIVERY_SEAMS, useValue: { transport } }],
    exports: [SPOTZEE_DELIVERY_SEAMS],
  };
}

describe('security: the API key never shows, and what reaches the wire is bounded and clean', () => {
  let emulator: SpotzeeEmulator;
  let app: INestApplication;
  let url: string;
  let tracker: SpotzeeTracker;

  beforeAll(async () => {
    // Only this key is accepted: a delivery proves the key really travelled in the Authorization header.
    emulator = await SpotzeeEmulator.start({ apiKeys: [KEY] });
    const defaultContact = createDefaultContactResolver('x-anonymous-id');
    ({ app, url } = await startApp(
      {
        imports: [
          SpotzeeModule.forRoot({
            apiKey: KEY,
            baseUrl: emulator.baseUrl,
            flushIntervalMs: 60_000,
            requestTimeoutMs: 200,
            retryBaseMs: 10,
            retryMaxMs: 50,
            haltProbeIntervalMs: 50,
            rateLimitJitterMs: 0,
            contact: (context: ExecutionContext) => {
              if (
                context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['x-session-broken']
              ) {
                throw new Error(`session store unreachable, ${configDump}`);
              }
              return defaultContact(context);
            },
          }),
          ResponseProbeModule,
        ],
        controllers: [SecurityController],
      },
      new ExpressAdapter(),
      nestLogger,
    ));
    tracker = app.get(SpotzeeTracker);
    for (const type of LISTENER_TYPES) {
      tracker.on(type, (payload: unknown) => capture.add(`'${type}' listener`, payload));
    }
  });

  afterAll(async () => {
    capture.stop();
    await app?.close();
    await emulator?.stop();
  });

  beforeEach(() => {
    emulator.reset();
    capture = new OutputCapture();
    capture.start();
  });

  afterEach(() => {
    capture.stop();
  });

  async function post(
    path: string,
    headers: Record<string, string> = { 'x-anonymous-id': 'visitor_1' },
  ): Promise<void> {
    const response = await fetch(`${url}/sec/${path}`, { method: 'POST', headers });
    expect(response.status).toBe(201);
    await response.arrayBuffer();
    await eventually(() => responseProbe.allClosed(), 'every response closed server-side');
  }

  /** Adds the counters and health to what was captured, and asserts the key is nowhere in it. */
  function expectNoLeak(): void {
    capture.add('stats()', tracker.stats());
    capture.add('health()', tracker.health());
    capture.add('util.inspect(tracker)', inspect(tracker, { depth: 8 }));
    capture.add('util.inspect(tracker, showHidden)', inspect(tracker, { depth: 8, showHidden: true }));
    expect(capture.size).toBeGreaterThan(0);
    expect(capture.leaks(FRAGMENTS)).toEqual([]);
  }

  it('the capture is not blind: it sees console calls, stdout and stderr writes, and process warnings', async () => {
    capture.quiet = true;
    console.info('probe-console');
    process.stdout.write('probe-stdout\n');
    process.stderr.write('probe-stderr\n');
    process.emitWarning('probe-warning');
    await new Promise((resolve) => setImmediate(resolve));
    capture.quiet = false;
    for (const probe of ['probe-console', 'probe-stdout', 'probe-stderr', 'probe-warning']) {
      expect({ probe, seen: capture.leaks([probe]).length > 0 }).toEqual({ probe, seen: true });
    }
  });

  it('start-up and deliveries', async () => {
    for (let n = 0; n < 10; n++) await post(`orders/ord_${n}`);
    await tracker.flush();
    expect(tracker.stats()).toMatchObject({ delivered: 20, pending: 0 });
    expect(emulator.events).toHaveLength(20);
    expect(new Set(emulator.requests.map((request) => request.headers.authorization))).toEqual(
      new Set(['Bearer sk_…']),
    );
    expectNoLeak();
  });

  it('a 401 whose body quotes the key back', async () => {
    emulator.inject({
      kind: 'raw',
      status: 401,
      body: {
        status: 'error',
        code: 'authentication_required',
        message: `The API key ${KEY} is not valid for this project.`,
        error: `Bearer ${KEY}`,
      },
    });
    await post('orders/ord_401');
    await tracker.flush();
    expect(nestLogger.messages('error')).toContainEqual(
      expect.stringContaining('Spotzee delivery HALTED: Spotzee refused the API key'),
    );
    // The probe finds the key accepted again and delivers what was held.
    await eventually(() => tracker.stats().pending === 0, 'the held batch delivered after the probe');
    expect(emulator.events).toHaveLength(2);
    expectNoLeak();
  });

  it('network errors', async () => {
    await emulator.down();
    const failures = tracker.stats().requests;
    await post('orders/ord_down');
    const flushed = tracker.flush();
    await eventually(() => tracker.stats().requests >= failures + 2, 'two refused attempts');
    await emulator.up();
    await flushed;
    expect(tracker.health().lastError?.message).toMatch(/ECONNREFUSED/);
    expect(emulator.events).toHaveLength(2);
    expectNoLeak();
  });

  it('timeouts', async () => {
    // Slower than the request timeout by far, however coarse the timer that enforces it.
    emulator.inject({ kind: 'slow', delayMs: 2_500 });
    const errors: string[] = [];
    const off = tracker.on('attempt', (attempt) => attempt.error !== undefined && errors.push(attempt.error));
    await post('orders/ord_slow');
    await tracker.flush();
    off();
    // The retry may meet the slow request still running (409 in progress) before it is replayed.
    expect(errors[0]).toMatch(/^SPOTZEE_REQUEST_TIMEOUT: no answer within requestTimeoutMs \(\d+ ms\)$/);
    expect(emulator.events).toHaveLength(2);
    expectNoLeak();
  });

  it('rejections, at capture and by the server, even when the server quotes the key', async () => {
    const rejected: RejectedOutcome[] = [];
    const off = tracker.on('rejected', (outcome) => rejected.push(outcome));
    emulator.inject({
      kind: 'raw',
      status: 422,
      body: {
        status: 'error',
        code: 'validation_failed',
        message: `Invalid item for key ${KEY}`,
        errors: [
          { param: '0.data', code: 'parameter_invalid_type', message: `data rejected (Authorization: Bearer ${KEY})` },
        ],
      },
    });
    await post('orders/ord_422');
    await post('bad-events/rejections');
    await tracker.flush();
    off();
    expect(rejected.map((outcome) => outcome.reason).sort()).toEqual([
      'invalid_idempotency_key',
      'invalid_idempotency_key',
      'invalid_idempotency_key',
      'invalid_idempotency_key',
      'not_serialisable',
      'server_rejected',
    ]);
    expectNoLeak();
  });

  it('config errors, with the key in every place a key can be misplaced', async () => {
    const cases: Array<[string, SpotzeeModuleOptions, string]> = [
      [
        'a publishable key',
        { apiKey: `pk_live_${SECRET}` },
        'Invalid Spotzee option apiKey: is a publishable key (pk_…), meant for browsers.',
      ],
      [
        'a key with a trailing newline',
        { apiKey: `${KEY}\n` },
        'Invalid Spotzee option apiKey: contains whitespace or control characters',
      ],
      [
        'a key with CR/LF inside',
        { apiKey: `${KEY}\r\nX-Evil: 1` },
        'Invalid Spotzee option apiKey: contains whitespace or control characters',
      ],
      [
        'the key as baseUrl credentials',
        { apiKey: KEY, baseUrl: `https://spotzee:${KEY}@apix.spotzee.com/api/client` },
        'Invalid Spotzee option baseUrl: must not contain credentials',
      ],
      [
        'the key in a plain-http baseUrl',
        { apiKey: KEY, baseUrl: `http://apix.spotzee.com/${KEY}` },
        'Invalid Spotzee option baseUrl: must use https for apix.spotzee.com',
      ],
      [
        'the key in the query string',
        { apiKey: KEY, baseUrl: `https://apix.spotzee.com/api/client?key=${KEY}` },
        'Invalid Spotzee option baseUrl: must not have a query string or fragment',
      ],
      [
        'the key as apiVersion',
        { apiKey: KEY, apiVersion: KEY },
        'Invalid Spotzee option apiVersion: expected a date YYYY-MM-DD',
      ],
      [
        'the key as a number option',
        { apiKey: KEY, maxAttempts: KEY as never },
        'Invalid Spotzee option maxAttempts: expected an integer from 1 to 100',
      ],
      [
        'the key as dryRun',
        { apiKey: KEY, dryRun: KEY as never },
        'Invalid Spotzee option dryRun: expected true or false',
      ],
    ];
    for (const [label, options, message] of cases) {
      const error = await startupError({ imports: [SpotzeeModule.forRoot(options)] }, new ExpressAdapter(), nestLogger);
      capture.add(`start-up error: ${label}`, error);
      expect({ label, error: error instanceof SpotzeeConfigurationError, message: error.message }).toEqual({
        label,
        error: true,
        message: expect.stringContaining(message),
      });
    }
    expectNoLeak();
  });

  // Nest-only option errors quote the offending value so the fix is obvious; a key pasted into one of
  // them (a config mix-up) must still be scrubbed from the start-up error.
  it('a key misplaced into a Nest-only option (eventNames, anonymousIdHeader) is scrubbed from the start-up error', async () => {
    for (const options of [
      { apiKey: KEY, eventNames: KEY as never },
      { apiKey: KEY, anonymousIdHeader: `Bearer ${KEY}` },
    ] satisfies SpotzeeModuleOptions[]) {
      capture.add(
        'start-up error',
        await startupError({ imports: [SpotzeeModule.forRoot(options)] }, new ExpressAdapter(), nestLogger),
      );
    }
    expect(capture.leaks(FRAGMENTS)).toEqual([]);
  });

  // Messages built from a user callback's error (mapper, contact resolver, schema) are redacted like
  // every other text the library does not control.
  it('an error thrown by a mapper or the contact resolver that quotes the key is logged and reported redacted', async () => {
    await post('mapper-quotes-key');
    await post('orders/ord_session', { 'x-session-broken': '1', 'x-anonymous-id': 'visitor_2' });
    await tracker.flush();
    expect(capture.leaks(FRAGMENTS)).toEqual([]);
  });

  it.each<[string, string]>([
    ['127.0.0.1', 'http://127.0.0.1:4010/api/client'],
    ['another 127/8 address', 'http://127.8.9.10:4010/api/client'],
    ['localhost', 'http://localhost:4010/api/client'],
    ['::1', 'http://[::1]:4010/api/client'],
    ['https anywhere', 'https://eu.spotzee.example.com/api/client'],
  ])('a baseUrl on %s is accepted', async (_host, baseUrl) => {
    const { app: probe } = await startApp({ imports: [SpotzeeModule.forRoot({ apiKey: KEY, baseUrl })] });
    expect(probe.get(SpotzeeRuntime).engine.options.baseUrl).toBe(baseUrl);
    await probe.close();
  });

  it.each<[string, string]>([
    ['a private address', 'http://10.0.0.7/api/client'],
    ['a public host', 'http://apix.spotzee.com/api/client'],
    ['a name that starts like a loopback address', 'http://127.0.0.1.nip.io/api/client'],
    ['a name that starts with localhost', 'http://localhost.example.com/api/client'],
    ['the unspecified address', 'http://0.0.0.0:4010/api/client'],
  ])('plain http to %s is refused', async (_host, baseUrl) => {
    const error = await startupError({ imports: [SpotzeeModule.forRoot({ apiKey: KEY, baseUrl })] });
    expect(error).toBeInstanceOf(SpotzeeConfigurationError);
    expect(error.message).toContain('Plain http is allowed only for loopback hosts (127.0.0.1, localhost, ::1)');
  });

  it('control characters never reach a header: bad keys are refused, every header on the wire is clean', async () => {
    const rejected: RejectedOutcome[] = [];
    const off = tracker.on('rejected', (outcome) => rejected.push(outcome));
    await post('bad-events/headers');
    await tracker.flush();
    off();
    expect(
      rejected.filter((outcome) => outcome.reason === 'invalid_idempotency_key').map((outcome) => outcome.message),
    ).toEqual(
      Array.from(
        { length: 4 },
        () =>
          'Spotzee event "order_keyed" from POST /sec/bad-events/:run rejected: idempotencyKey contains control characters. Remove them.',
      ),
    );
    // The one valid event got through, its odd but printable key hashed into a header-safe batch key.
    expect(emulator.events.map(({ event }) => event.name)).toEqual(['order_unicode']);
    for (const record of emulator.requests) {
      for (const [name, value] of Object.entries(record.headers)) {
        for (const text of [value ?? ''].flat()) {
          expect({ name, clean: !hasControlCharacters(text) }).toEqual({ name, clean: true });
        }
      }
      expect(record.idempotencyKey).toMatch(/^spz_[A-Za-z0-9_-]{43}$/);
    }
    expect(emulator.requests.map((record) => record.body).join('')).not.toContain('forged');
    expectNoLeak();
  });

  describe('response bodies are read with a bound', () => {
    let bounded: SpotzeeEmulator;
    let boundedApp: INestApplication;
    let boundedUrl: string;
    let boundedTracker: SpotzeeTracker;
    let transport: ObservingTransport;
    const READ_BOUND = 1024;

    beforeAll(async () => {
      bounded = await SpotzeeEmulator.start({ apiKeys: [KEY] });
      transport = new ObservingTransport(
        new UndiciTransport({ baseUrl: bounded.baseUrl, connectTimeoutMs: 5_000, connections: 4 }),
      );
      ({ app: boundedApp, url: boundedUrl } = await startApp(
        {
          imports: [
            seams(transport),
            SpotzeeModule.forRoot({
              apiKey: KEY,
              baseUrl: bounded.baseUrl,
              flushIntervalMs: 60_000,
              retryBaseMs: 1,
              retryMaxMs: 10,
              maxResponseBytes: READ_BOUND,
            }),
          ],
          controllers: [SecurityController],
        },
        new ExpressAdapter(),
        nestLogger,
      ));
      boundedTracker = boundedApp.get(SpotzeeTracker);
      for (const type of LISTENER_TYPES) {
        boundedTracker.on(type, (payload: unknown) => capture.add(`'${type}' listener (bounded app)`, payload));
      }
    });

    afterAll(async () => {
      await boundedApp?.close();
      await bounded?.stop();
    });

    beforeEach(() => {
      bounded.reset();
      transport.responses.length = 0;
    });

    async function deliverOne(id: string): Promise<void> {
      const response = await fetch(`${boundedUrl}/sec/orders/${id}`, {
        method: 'POST',
        headers: { 'x-anonymous-id': 'visitor_b' },
      });
      expect(response.status).toBe(201);
      await eventually(() => responseProbe.allClosed(), 'every response closed server-side');
      await boundedTracker.flush();
    }

    function problemOfBytes(bytes: number): string {
      const head = `{"status":"error","code":"internal_error","message":"`;
      const tail = `","secret":"${KEY}"}`;
      return `${head}${'x'.repeat(bytes - head.length - tail.length)}${tail}`;
    }

    it('a multi-megabyte error body is cut at the bound, and the batch still gets through', async () => {
      bounded.inject({
        kind: 'raw',
        status: 500,
        headers: { 'content-type': 'application/problem+json' },
        body: problemOfBytes(8 * MIB),
      });
      const attempts: Array<{ status: number | null; decision: string; error?: string }> = [];
      const off = boundedTracker.on('attempt', (attempt) => attempts.push(attempt));
      await deliverOne('ord_big');
      off();
      expect(transport.responses.map(({ status, truncated, body }) => ({ status, truncated, body }))).toEqual([
        { status: 500, truncated: true, body: null },
        { status: 204, truncated: false, body: null },
      ]);
      expect(attempts.map(({ status, decision }) => [status, decision])).toEqual([
        [500, 'retry'],
        [204, 'delivered'],
      ]);
      expect(attempts[0]!.error!.length).toBeLessThan(500);
      expect(bounded.events).toHaveLength(2);
      expectNoLeak();
    });

    it('a multi-megabyte body on a 200 is not read either, and counts as delivered', async () => {
      // JSON, as Spotzee would label it: a non-JSON 2xx is a misconfiguration and halts (test/adversarial).
      bounded.inject({
        kind: 'raw',
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: problemOfBytes(4 * MIB),
        accept: true,
      });
      await deliverOne('ord_big_ok');
      expect(transport.responses.map(({ status, truncated }) => ({ status, truncated }))).toEqual([
        { status: 200, truncated: true },
      ]);
      expect(bounded.events).toHaveLength(2);
      expectNoLeak();
    });

    it('the bound is exact: a body within maxResponseBytes is parsed, one byte more is not', async () => {
      bounded.inject({ kind: 'raw', status: 500, body: problemOfBytes(READ_BOUND) });
      bounded.inject({ kind: 'raw', status: 500, body: problemOfBytes(READ_BOUND + 1) });
      const errors: string[] = [];
      const off = boundedTracker.on('attempt', (attempt) => attempt.error !== undefined && errors.push(attempt.error));
      await deliverOne('ord_edge');
      off();
      expect(transport.responses.map(({ status, truncated }) => ({ status, truncated }))).toEqual([
        { status: 500, truncated: false },
        { status: 500, truncated: true },
        { status: 204, truncated: false },
      ]);
      expect(errors[0]).toMatch(/^HTTP 500 internal_error "x+" \(request_id req_\w+\)$/);
      expect(errors[1]).toMatch(/^HTTP 500 no code \(request_id req_\w+\)$/);
      expectNoLeak();
    });
  });
});
