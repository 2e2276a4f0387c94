import { Module, type CanActivate } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { resolveMeterProvider } from './metrics/meter-provider.loader.js';
import { SPOTZEE_METER_PROVIDER, SPOTZEE_RUNTIME, SPOTZEE_SETTINGS, SPOTZEE_TRACKER } from './spotzee.constants.js';
import { SpotzeeExplorer } from './spotzee.explorer.js';
import { SpotzeeHandlerGuard } from './spotzee-handler.guard.js';
import { SpotzeeInterceptor } from './spotzee.interceptor.js';
import { ConfigurableSpotzeeModule, SPOTZEE_MODULE_OPTIONS } from './spotzee.module-definition.js';
import { SpotzeeRequestListener } from './spotzee-request.listener.js';
import { createSpotzeeSettings, type SpotzeeSettings } from './spotzee-settings.factory.js';
import { SpotzeeRuntime } from './spotzee.runtime.js';
import { SpotzeeTracker } from './spotzee.tracker.js';

/**
 * Sends the application's domain events to Spotzee.
 *
 * No interceptor is registered globally: every HTTP request's context is opened by
 * `SpotzeeRequestListener` where the server hands the request over, `SpotzeeHandlerGuard` tells it
 * the handler it reached, and only `@EmitsEvent` handlers run an interceptor (their hook).
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
    SpotzeeRuntime,
    { provide: SPOTZEE_RUNTIME, useExisting: SpotzeeRuntime },
    SpotzeeTracker,
    { provide: SPOTZEE_TRACKER, useExisting: SpotzeeTracker },
    SpotzeeInterceptor,
    SpotzeeExplorer,
    SpotzeeRequestListener,
    SpotzeeHandlerGuard,
    {
      // Chosen at runtime (with forRootAsync the options are not known when the module is defined).
      // Under `globalInterceptor: false` no context is opened, so none is told its handler: Nest 11
      // and 12 skip a global enhancer whose factory gives null, and routes pay nothing for it.
      provide: APP_GUARD,
      useFactory: (settings: SpotzeeSettings, guard: SpotzeeHandlerGuard): CanActivate | null =>
        settings.globalInterceptor ? guard : null,
      inject: [SPOTZEE_SETTINGS, SpotzeeHandlerGuard],
    },
  ],
  exports: [
    SpotzeeTracker,
    SPOTZEE_TRACKER,
    // For `@UseInterceptors(SpotzeeInterceptor)` in the app's modules, which builds the interceptor there.
    SPOTZEE_RUNTIME,
    SpotzeeInterceptor,
    // The settings hide the key behind a non-enumerable getter; the raw options (key in clear) stay inside.
    SPOTZEE_SETTINGS,
  ],
})
export class SpotzeeModule extends ConfigurableSpotzeeModule {}
