import { Module, type CanActivate } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule, ModulesContainer } from '@nestjs/core';
import { resolveMeterProvider } from './metrics/meter-provider.loader.js';
import { decideRequestContexts, type RequestContexts } from './request-context.policy.js';
import {
  SPOTZEE_METER_PROVIDER,
  SPOTZEE_REQUEST_CONTEXTS,
  SPOTZEE_RUNTIME,
  SPOTZEE_SETTINGS,
  SPOTZEE_TRACKER,
  TRACKER_CLASS_MARK,
} from './spotzee.constants.js';
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
 * No interceptor runs on HTTP routes. When some class of the app is given the tracker
 * (`requestContext`), every HTTP request's context is opened by `SpotzeeRequestListener` where the
 * server hands the request over and `SpotzeeHandlerGuard` tells it the handler it reached; decorated
 * routes capture from their own method either way, and only RPC, GraphQL and WebSocket handlers with
 * `@EmitsEvent` run an interceptor (their hook).
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
    {
      // Read off the module graph, which Nest has scanned whole before it instantiates anything.
      provide: SPOTZEE_REQUEST_CONTEXTS,
      useFactory: (settings: SpotzeeSettings, modules?: ModulesContainer): RequestContexts =>
        decideRequestContexts(settings, modules),
      inject: [SPOTZEE_SETTINGS, { token: ModulesContainer, optional: true }],
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
      // Without request contexts none is told its handler: Nest 11 and 12 skip a global enhancer
      // whose factory gives null, and routes pay nothing for it.
      provide: APP_GUARD,
      useFactory: (contexts: RequestContexts, guard: SpotzeeHandlerGuard): CanActivate | null =>
        contexts.enabled ? guard : null,
      inject: [SPOTZEE_REQUEST_CONTEXTS, SpotzeeHandlerGuard],
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
export class SpotzeeModule extends ConfigurableSpotzeeModule {
  /** Its own providers are given the tracker (`SPOTZEE_TRACKER` is an alias of it): not the application's use. */
  static readonly [TRACKER_CLASS_MARK] = 'internal';
}
