/**
 * `SpotzeeTestingModule`: `SpotzeeModule` for your tests. The same providers and behaviour — the
 * decorators, the global interceptor, commit on success and discard on failure, contact resolution,
 * schemas and validation — but nothing leaves the process and no API key is needed: every committed
 * event is recorded by `SpotzeeRecorder`, parsed from exactly the JSON that would have been sent.
 *
 * @example
 * import { SpotzeeRecorder, SpotzeeTestingModule } from 'nestjs-spotzee/testing';
 *
 * const moduleRef = await Test.createTestingModule({
 *   imports: [SpotzeeTestingModule.forRoot(), OrdersModule],
 * }).compile();
 * const app = moduleRef.createNestApplication();
 * await app.init();
 * const recorder = app.get(SpotzeeRecorder);
 *
 * beforeEach(() => recorder.clear());
 *
 * it('emits order_placed', async () => {
 *   await request(app.getHttpServer()).post('/orders').set('x-anonymous-id', 'anon_1').send({ total: 25 }).expect(201);
 *   await recorder.waitFor('order_placed');   // the request commits its events when the response finishes
 *   recorder.expectEvent('order_placed', { anonymousId: 'anon_1', data: { total: 25 } });
 * });
 *
 * it('sends nothing when the order fails', async () => {
 *   await request(app.getHttpServer()).post('/orders').send({ total: -1 }).expect(400);
 *   await recorder.settled();                  // every request's verdict is in
 *   recorder.expectNoEvents('order_placed');
 * });
 *
 * To keep an application module that imports `SpotzeeModule.forRootAsync(…)`, export that import and
 * replace it, keeping its options: `Test.createTestingModule({ imports: [AppModule] })
 * .overrideModule(spotzeeImport).useModule(SpotzeeTestingModule.replacing(spotzeeImport))` (Nest
 * matches the module by identity, so pass the very object AppModule imports).
 *
 * A unit test of a provider that injects the tracker needs one line:
 * `Test.createTestingModule({ imports: [SpotzeeTestingModule.forRoot()], providers: [BillingService] })`.
 */
import type { DynamicModule, Provider } from '@nestjs/common';
import { SpotzeeConfigurationError } from '../delivery/errors.js';
import { SPOTZEE_SETTINGS } from '../spotzee.constants.js';
import { SpotzeeInterceptor } from '../spotzee.interceptor.js';
import { SpotzeeModule } from '../spotzee.module.js';
import {
  SPOTZEE_MODULE_OPTIONS,
  type SpotzeeModuleAsyncOptions,
  type SpotzeeModuleRootOptions,
} from '../spotzee.module-definition.js';
import type { SpotzeeModuleOptions } from '../spotzee-module-options.interface.js';
import { createSpotzeeSettings } from '../spotzee-settings.factory.js';
import { OpenRequests } from './open-requests.js';
import { RecordingSpotzeeInterceptor } from './recording.interceptor.js';
import { SpotzeeRecorder } from './spotzee.recorder.js';
import { SPOTZEE_RECORDER } from './testing.constants.js';

/** Everything `SpotzeeModule.forRoot()` takes, all optional; `dryRun` is always on. */
export type SpotzeeTestingModuleOptions = Omit<SpotzeeModuleRootOptions, 'dryRun'>;

const TESTING_PROVIDERS: Provider[] = [
  {
    // The module's own settings factory (so validation and defaults are the real ones), with the
    // engine in dry-run mode: it answers every batch itself and never opens a connection.
    provide: SPOTZEE_SETTINGS,
    useFactory: (options: SpotzeeModuleOptions) =>
      createSpotzeeSettings(typeof options === 'object' && options !== null ? { ...options, dryRun: true } : options),
    inject: [SPOTZEE_MODULE_OPTIONS],
  },
  OpenRequests,
  // Replaces the class the module's APP_INTERCEPTOR factory injects: same behaviour, plus settle tracking.
  { provide: SpotzeeInterceptor, useClass: RecordingSpotzeeInterceptor },
  SpotzeeRecorder,
  { provide: SPOTZEE_RECORDER, useExisting: SpotzeeRecorder },
];

/**
 * Inherits `SpotzeeModule`'s metadata (imports, providers, exports); the dynamic providers below come
 * after the inherited ones, so they replace the settings and the interceptor under the same tokens.
 */
export class SpotzeeTestingModule extends SpotzeeModule {
  static override forRoot(options: SpotzeeTestingModuleOptions = {}): DynamicModule {
    return withRecording(super.forRoot(options));
  }

  /** For an options factory shared with the real module (`ConfigService` and the like). */
  static override forRootAsync(options: SpotzeeModuleAsyncOptions): DynamicModule {
    return withRecording(super.forRootAsync(options));
  }

  /**
   * The testing module built from the app's own `SpotzeeModule.forRoot(…)`/`forRootAsync(…)` import,
   * so tests see the same contact resolver, `userId`, schemas and the rest of its options (only
   * `dryRun` is forced on: no key is needed, nothing is sent):
   * `.overrideModule(spotzeeImport).useModule(SpotzeeTestingModule.replacing(spotzeeImport))`.
   */
  static replacing(spotzeeImport: DynamicModule): DynamicModule {
    if (typeof spotzeeImport !== 'object' || spotzeeImport === null || !Array.isArray(spotzeeImport.providers)) {
      throw new SpotzeeConfigurationError(
        'SpotzeeTestingModule.replacing',
        'SpotzeeTestingModule.replacing() takes the object your module imports, the result of SpotzeeModule.forRoot(…) or SpotzeeModule.forRootAsync(…): export it from that module and pass it here.',
      );
    }
    return withRecording({ ...spotzeeImport, module: SpotzeeTestingModule });
  }
}

function withRecording(base: DynamicModule): DynamicModule {
  return {
    ...base,
    providers: [...(base.providers ?? []), ...TESTING_PROVIDERS],
    exports: [...(base.exports ?? []), SpotzeeRecorder, SPOTZEE_RECORDER],
  };
}
