import { Module, type NestInterceptor } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { resolveMeterProvider } from './metrics/meter-provider.loader.js';
import { SPOTZEE_METER_PROVIDER, SPOTZEE_SETTINGS, SPOTZEE_TRACKER } from './spotzee.constants.js';
import { SpotzeeExplorer } from './spotzee.explorer.js';
import { SpotzeeInterceptor } from './spotzee.interceptor.js';
import { ConfigurableSpotzeeModule, SPOTZEE_MODULE_OPTIONS } from './spotzee.module-definition.js';
import { createSpotzeeSettings, type SpotzeeSettings } from './spotzee-settings.factory.js';
import { SpotzeeTracker } from './spotzee.tracker.js';

/** Stands in for the global interceptor under `globalInterceptor: false`, when handlers opt in one by one. */
const PASS_THROUGH: NestInterceptor = { intercept: (_context, next) => next.handle() };

/**
 * Sends the application's domain events to Spotzee.
 *
 * @example
 * SpotzeeModule.forRoot({ apiKey: process.env.SPOTZEE_API_KEY })
 * SpotzeeModule.forRootAsync({
 *   imports: [ConfigModule], inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ apiKey: config.getOrThrow('SPOTZEE_API_KEY') }),
 * })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: SPOTZEE_SETTINGS, useFactory: createSpotzeeSettings, inject: [SPOTZEE_MODULE_OPTIONS] },
    {
      // Resolved before the tracker is built, so the metrics see every event from the first one on.
      provide: SPOTZEE_METER_PROVIDER,
      useFactory: (settings: SpotzeeSettings) => resolveMeterProvider(settings.metrics),
      inject: [SPOTZEE_SETTINGS],
    },
    SpotzeeTracker,
    { provide: SPOTZEE_TRACKER, useExisting: SpotzeeTracker },
    SpotzeeInterceptor,
    SpotzeeExplorer,
    {
      // Always registered, chosen at runtime: with forRootAsync the options are not known when the
      // module is defined, and an APP_INTERCEPTOR factory cannot return "nothing" on every Nest version.
      provide: APP_INTERCEPTOR,
      useFactory: (settings: SpotzeeSettings, interceptor: SpotzeeInterceptor): NestInterceptor =>
        settings.globalInterceptor ? interceptor : PASS_THROUGH,
      inject: [SPOTZEE_SETTINGS, SpotzeeInterceptor],
    },
  ],
  exports: [
    SpotzeeTracker,
    SPOTZEE_TRACKER,
    SpotzeeInterceptor,
    // The settings hide the key behind a non-enumerable getter; the raw options (key in clear) stay inside.
    SPOTZEE_SETTINGS,
  ],
})
export class SpotzeeModule extends ConfigurableSpotzeeModule {}
