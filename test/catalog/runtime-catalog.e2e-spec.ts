/**
 * The module's `catalog` option: events checked at capture against the committed snapshot, with the
 * outcomes on the wire and in the counters; and the naming pitfalls said once at start-up.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Controller, type INestApplication, Post } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogSnapshot } from '../../lib/catalog/catalog-snapshot.js';
import type { RejectedOutcome } from '../../lib/delivery/ledger/outcomes.js';
import {
  EmitsEvent,
  SpotzeeConfigurationError,
  SpotzeeModule,
  SpotzeeTracker,
  type SpotzeeModuleOptions,
} from '../../lib/index.js';
import { startApp, startupError } from '../support/loopback-app.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { suiteEmulator } from '../support/suite-emulator.js';

const SNAPSHOT: CatalogSnapshot = {
  version: 1,
  events: {
    order_placed: {
      data: {
        order_id: { type: 'string' },
        total: { type: 'number' },
        coupon: { type: 'string | null', optional: true },
        skus: { type: 'string[]' },
      },
      user: {},
      emittedBy: [],
    },
    order_refunded: { data: { reason: { type: '"damaged" | "late"' } }, user: {}, emittedBy: [] },
  },
};

@Controller('orders')
class OrdersController {
  @Post('refund')
  @EmitsEvent('order_refunded', { data: () => ({ reason: 'lost' }), contact: () => ({ externalId: 'u_1' }) })
  refund(): void {}

  @Post('ship')
  @EmitsEvent('order_shipped', { data: () => ({ order_id: 'ord_1' }), contact: () => ({ externalId: 'u_1' }) })
  ship(): void {}
}

describe("the module's catalog option", () => {
  const emulator = suiteEmulator();
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(options: Partial<SpotzeeModuleOptions>) {
    const logger = new RecordingLogger();
    const running = await startApp({
      imports: [
        SpotzeeModule.forRoot({
          apiKey: emulator().apiKey,
          baseUrl: emulator().baseUrl,
          logger,
          catalogFile: SNAPSHOT,
          ...options,
        }),
      ],
      controllers: [OrdersController],
    });
    app = running.app;
    const tracker = app.get(SpotzeeTracker);
    const rejected: RejectedOutcome[] = [];
    tracker.on('rejected', (outcome) => rejected.push(outcome));
    return { ...running, tracker, logger, rejected };
  }

  const valid = { order_id: 'ord_1', total: 12.5, skus: ['mug-001'] };

  it('strict: sends matching events and rejects the others as not_in_catalog, saying what differs', async () => {
    const { url, tracker, rejected } = await start({ catalog: 'strict' });
    tracker.track('order_placed', { externalId: 'u_1', data: valid });
    tracker.track('order_placed', { externalId: 'u_1', data: { ...valid, coupon: null, extra_field: true } });
    tracker.track('order_dispatched', { externalId: 'u_1', data: valid });
    tracker.track('order_placed', { externalId: 'u_1', data: { order_id: 'ord_2', skus: [] } });
    tracker.track('order_placed', { externalId: 'u_1', data: { ...valid, total: '12.50' } });
    tracker.track('order_placed', { externalId: 'u_1', data: { ...valid, skus: 'mug-001' } });
    expect((await fetch(`${url}/orders/refund`, { method: 'POST' })).status).toBe(201);
    await tracker.flush();

    expect(emulator().events.map(({ event }) => event.data)).toEqual([
      valid,
      { ...valid, coupon: null, extra_field: true },
    ]);
    expect(rejected.map(({ reason, param, message }) => ({ reason, param, message }))).toEqual([
      {
        reason: 'not_in_catalog',
        param: 'name',
        message:
          'Event "order_dispatched" from SpotzeeTracker.track() does not match the catalogue (spotzee-events.json): is not in the catalogue. ' +
          "The event was not sent (catalog: 'strict'). Declare the change in SpotzeeEvents, run npx nestjs-spotzee catalog and commit the snapshot, or fix the data.",
      },
      {
        reason: 'not_in_catalog',
        param: 'data.total',
        message: expect.stringContaining(': data.total is missing (the catalogue says number).'),
      },
      {
        reason: 'not_in_catalog',
        param: 'data.total',
        message: expect.stringContaining(': data.total is a string, the catalogue says number.'),
      },
      {
        reason: 'not_in_catalog',
        param: 'data.skus',
        message: expect.stringContaining(': data.skus is a string, the catalogue says string[].'),
      },
      {
        reason: 'not_in_catalog',
        param: 'data.reason',
        message: expect.stringContaining(
          'Event "order_refunded" from POST /orders/refund does not match the catalogue (spotzee-events.json): data.reason is "lost", the catalogue says "damaged" | "late".',
        ),
      },
    ]);
    expect(tracker.stats()).toMatchObject({ captured: 7, delivered: 2, rejected: 5, dropped: 0, pending: 0 });
  });

  it('warn: sends every event and says what differs once per event name', async () => {
    const { url, tracker, logger } = await start({ catalog: 'warn' });
    for (let i = 0; i < 3; i += 1) {
      tracker.track('order_dispatched', { externalId: 'u_1', data: valid });
      expect((await fetch(`${url}/orders/ship`, { method: 'POST' })).status).toBe(201);
    }
    await tracker.flush();

    expect(
      emulator()
        .events.map(({ event }) => event.name)
        .sort(),
    ).toEqual([...Array(3).fill('order_dispatched'), ...Array(3).fill('order_shipped')]);
    expect(logger.matching(/does not match the catalogue/)).toEqual([
      'Event "order_dispatched" from SpotzeeTracker.track() does not match the catalogue (spotzee-events.json): is not in the catalogue. ' +
        "It was sent anyway (catalog: 'warn'); this is said once per event name. Declare the change in SpotzeeEvents, run npx nestjs-spotzee catalog and commit the snapshot, or fix the data.",
      expect.stringContaining('Event "order_shipped" from POST /orders/ship does not match the catalogue'),
    ]);
    expect(tracker.stats()).toMatchObject({ delivered: 6, rejected: 0 });
  });

  it('off (the default): checks nothing and needs no snapshot', async () => {
    const { tracker, logger } = await start({ catalogFile: undefined });
    tracker.track('order_dispatched', { externalId: 'u_1', data: { anything: 1 } });
    await tracker.flush();
    expect(emulator().events).toHaveLength(1);
    expect(logger.matching(/catalogue/)).toEqual([]);
  });

  describe('the snapshot file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestjs-spotzee-catalog-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('is read from the path in catalogFile', async () => {
      writeFileSync(join(dir, 'events.json'), JSON.stringify(SNAPSHOT));
      const { tracker, rejected } = await start({ catalog: 'strict', catalogFile: join(dir, 'events.json') });
      tracker.track('order_dispatched', { externalId: 'u_1' });
      await tracker.flush();
      expect(rejected.map((outcome) => outcome.reason)).toEqual(['not_in_catalog']);
    });

    it('fails the boot, saying how to create it, when it is missing', async () => {
      const missing = join(dir, 'nowhere', 'spotzee-events.json');
      const error = await startupError({
        imports: [SpotzeeModule.forRoot({ dryRun: true, catalog: 'warn', catalogFile: missing })],
      });
      expect(error).toBeInstanceOf(SpotzeeConfigurationError);
      expect(error.message).toBe(
        `catalog: 'warn' checks events against the committed snapshot, and there is none at ${missing}. ` +
          'Generate it with npx nestjs-spotzee catalog and commit it, or point catalogFile at it (a path, or the parsed JSON).',
      );
    });

    it('fails the boot when it is not a snapshot', async () => {
      const error = await startupError({
        imports: [SpotzeeModule.forRoot({ dryRun: true, catalog: 'strict', catalogFile: { version: 1 } as never })],
      });
      expect(error.message).toBe(
        'catalogFile: catalogFile has no "events" object. Regenerate it with npx nestjs-spotzee catalog.',
      );
    });

    it('refuses a policy it does not know', async () => {
      const error = await startupError({
        imports: [SpotzeeModule.forRoot({ dryRun: true, catalog: 'on' as never })],
      });
      expect(error.message).toBe(
        "Invalid Spotzee option catalog: expected 'off', 'warn' or 'strict', got \"on\". 'warn' and 'strict' check events against spotzee-events.json (npx nestjs-spotzee catalog).",
      );
    });
  });
});

@Controller('catalogue')
class PitfallsController {
  @Post('a')
  @EmitsEvent('product_viewed')
  a(): void {}

  @Post('b')
  @EmitsEvent('orderPlaced')
  b(): void {}

  @Post('c')
  @EmitsEvent('order_placed')
  c(): void {}
}

describe("the guide's naming pitfalls at start-up", () => {
  async function bootWarnings(options: Partial<SpotzeeModuleOptions>): Promise<string[]> {
    const logger = new RecordingLogger();
    const { app } = await startApp({
      imports: [SpotzeeModule.forRoot({ dryRun: true, logger, ...options })],
      controllers: [PitfallsController],
    });
    await app.close();
    return logger.messages('warn').filter((message) => !message.includes('is not snake_case'));
  }

  it('warns once about a page-view name and about names that differ only by case or separators', async () => {
    expect(
      await bootWarnings({
        schemas: { page_view: { '~standard': { version: 1, vendor: 'x', validate: (v) => ({ value: v }) } } },
      }),
    ).toEqual([
      'Event "product_viewed" (PitfallsController.a) looks like a page view. Spotzee\'s guide: backend events are domain ' +
        'transitions (an order placed, a subscription renewed); views belong to browser-side tracking, which knows the page and the visitor. ' +
        "Rename it if it is a state change, or set eventNames: 'off' to silence name checks.",
      expect.stringContaining('Event "page_view" (schemas.page_view) looks like a page view.'),
      'Event names "orderPlaced" (PitfallsController.b) and "order_placed" (PitfallsController.c) differ only by case or separators. ' +
        'Spotzee counts them as different events, so journeys and segments built on one never see the other. Pick one spelling.',
    ]);
  });

  it("says nothing with eventNames: 'off'", async () => {
    expect(await bootWarnings({ eventNames: 'off' })).toEqual([]);
  });
});
