import { describe, expect, it } from '@jest/globals';
import { Controller, Injectable, Post } from '@nestjs/common';
import { z } from 'zod';
import { EMITS_EVENT_METADATA } from '../../lib/spotzee.constants.js';
import {
  EmitsEvent,
  SpotzeeConfigurationError,
  SpotzeeModule,
  SpotzeeTracker,
  type SpotzeeModuleOptions,
} from '../../lib/index.js';
import { startApp, startupError } from '../support/loopback-app.js';
import { PLATFORMS } from '../support/platforms.js';
import { RecordingLogger } from '../support/recording-logger.js';

const base: SpotzeeModuleOptions = { dryRun: true };

describe('@EmitsEvent refuses bad arguments where it is written', () => {
  const define = (decorate: () => MethodDecorator) => () => {
    class BillingController {
      charge(): void {}
    }
    const descriptor = Object.getOwnPropertyDescriptor(BillingController.prototype, 'charge')!;
    decorate()(BillingController.prototype, 'charge', descriptor);
  };

  it.each<[string, () => MethodDecorator, string]>([
    [
      'an empty name',
      () => EmitsEvent(''),
      'BillingController.charge: @EmitsEvent() needs a non-empty event name string, got "". Spotzee names are snake_case verbs in the past tense, like order_placed or subscription_renewed.',
    ],
    [
      'a non-string name',
      () => EmitsEvent(42 as never),
      'BillingController.charge: @EmitsEvent() needs a non-empty event name string, got 42. Spotzee names are snake_case verbs in the past tense, like order_placed or subscription_renewed.',
    ],
    [
      'a mapper that is not a function',
      () => EmitsEvent('invoice_paid', { data: { total: 1 } as never }),
      `BillingController.charge: @EmitsEvent('invoice_paid') option "data" must be a function (result, context) => …, got an object.`,
    ],
    [
      'a misspelt option',
      () => EmitsEvent('invoice_paid', { identity: () => ({}) } as never),
      `BillingController.charge: @EmitsEvent('invoice_paid') has an unknown option "identity". Known options: data, identify, contact, idempotencyKey, when, schema.`,
    ],
    [
      'a schema that is not one',
      () => EmitsEvent('invoice_paid', { schema: { parse() {} } as never }),
      `BillingController.charge: @EmitsEvent('invoice_paid') option "schema" must be a Standard Schema (zod, valibot, arktype…) or a class-validator DTO class.`,
    ],
  ])('%s', (_case, decorate, message) => {
    expect(define(decorate)).toThrow(new SpotzeeConfigurationError('@EmitsEvent', message));
    expect(define(decorate)).toThrow(SpotzeeConfigurationError);
  });

  it('accepts a zod schema and keeps stacked definitions in written order', () => {
    class ShippingController {
      @EmitsEvent('parcel_shipped', { schema: z.object({ id: z.string() }) })
      @EmitsEvent('parcel_labelled')
      ship(): void {}
    }
    const definitions = Reflect.getMetadata(EMITS_EVENT_METADATA, ShippingController.prototype.ship) as Array<{
      name: string;
    }>;
    expect(definitions.map((definition) => definition.name)).toEqual(['parcel_shipped', 'parcel_labelled']);
  });
});

@Controller('loyalty')
class LoyaltyController {
  @Post('a')
  @EmitsEvent('Points Earned')
  earn(): void {}

  @Post('b')
  @EmitsEvent('Points Earned')
  @EmitsEvent('points_redeemed')
  redeem(): void {}
}

@Controller('reports')
class ReportsController {
  @Post()
  @EmitsEvent('quarterly_report_generated_for_board')
  generate(): void {}
}

@Injectable()
class LoyaltyService {
  @EmitsEvent('points_expired')
  expire(): void {}
}

@Controller('legacy')
class LegacyController {
  @Post()
  sync(): void {}
}
// What a differently-built copy of the package, or hand-written metadata, could leave behind.
Reflect.defineMetadata(EMITS_EVENT_METADATA, [{ name: '', options: {} }], LegacyController.prototype.sync);

describe.each(PLATFORMS)('start-up checks on %s', (_platform, createAdapter) => {
  it('warns once per non-snake_case name, naming every handler that uses it', async () => {
    const logger = new RecordingLogger();
    const { app } = await startApp(
      { imports: [SpotzeeModule.forRoot({ ...base, logger })], controllers: [LoyaltyController] },
      createAdapter(),
    );
    try {
      app.get(SpotzeeTracker).track('Points Earned', { externalId: 'u1' });
      expect(logger.messages('warn')).toEqual([
        'Event name "Points Earned" (LoyaltyController.earn, LoyaltyController.redeem) is not snake_case. ' +
          'Spotzee names are snake_case verbs in the past tense, like order_placed or subscription_renewed; ' +
          "journeys and segments match names exactly, so choose it before launch. Set eventNames: 'strict' to fail instead, or 'off' to silence this.",
      ]);
    } finally {
      await app.close();
    }
  });

  it("says nothing with eventNames: 'off'", async () => {
    const logger = new RecordingLogger();
    const { app } = await startApp(
      { imports: [SpotzeeModule.forRoot({ ...base, logger, eventNames: 'off' })], controllers: [LoyaltyController] },
      createAdapter(),
    );
    await app.close();
    expect(logger.messages('warn')).toEqual([]);
  });

  it("fails the boot with eventNames: 'strict'", async () => {
    const error = await startupError(
      { imports: [SpotzeeModule.forRoot({ ...base, eventNames: 'strict' })], controllers: [LoyaltyController] },
      createAdapter(),
    );
    expect(error).toBeInstanceOf(SpotzeeConfigurationError);
    expect(error.message).toBe(
      `Event name "Points Earned" (LoyaltyController.earn, LoyaltyController.redeem) is not snake_case and the module uses eventNames: 'strict'. ` +
        'Spotzee names are snake_case verbs in the past tense, like order_placed or subscription_renewed.',
    );
  });

  it('fails the boot on a name longer than maxNameLength', async () => {
    const error = await startupError(
      { imports: [SpotzeeModule.forRoot({ ...base, maxNameLength: 20 })], controllers: [ReportsController] },
      createAdapter(),
    );
    expect(error.message).toBe(
      "ReportsController.generate: @EmitsEvent('quarterly_report_generated_for_board…') has a 36-character name; the limit is 20 (option maxNameLength). Use a shorter name.",
    );
  });

  it('fails the boot on definitions it finds invalid in metadata', async () => {
    const error = await startupError(
      { imports: [SpotzeeModule.forRoot(base)], controllers: [LegacyController] },
      createAdapter(),
    );
    expect(error.message).toContain(
      'LegacyController.sync: @EmitsEvent() needs a non-empty event name string, got "".',
    );
  });

  it('warns about a decorator on a provider method, where it can never fire', async () => {
    const logger = new RecordingLogger();
    const { app } = await startApp(
      { imports: [SpotzeeModule.forRoot({ ...base, logger })], providers: [LoyaltyService] },
      createAdapter(),
    );
    await app.close();
    expect(logger.messages('warn')).toEqual([
      "LoyaltyService.expire: @EmitsEvent('points_expired') is on a provider method, where no interceptor runs, so it will never send anything. " +
        'Put it on a controller, resolver or gateway handler, or call SpotzeeTracker.track() from the service.',
    ]);
  });
});
