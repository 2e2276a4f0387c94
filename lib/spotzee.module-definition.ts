import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SpotzeeModuleOptions } from './spotzee-module-options.interface.js';

/** Options of `forRoot`/`forRootAsync` that shape the module itself rather than delivery. */
export interface SpotzeeModuleExtras {
  /** Default true: the tracker is an app-wide singleton, injectable in every module without re-importing. */
  isGlobal?: boolean | undefined;
}

// `moduleName` makes the options token the fixed string 'SPOTZEE_MODULE_OPTIONS' instead of a random
// one, so both builds of the package, loaded in one process, resolve the same provider.
export const {
  ConfigurableModuleClass: ConfigurableSpotzeeModule,
  MODULE_OPTIONS_TOKEN: SPOTZEE_MODULE_OPTIONS,
  OPTIONS_TYPE: SPOTZEE_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SPOTZEE_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SpotzeeModuleOptions>({ moduleName: 'Spotzee' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSpotzeeOptions')
  .setExtras<SpotzeeModuleExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal ?? true,
  }))
  .build();

/** What `SpotzeeModule.forRoot()` accepts. */
export type SpotzeeModuleRootOptions = typeof SPOTZEE_OPTIONS_TYPE;
/** What `SpotzeeModule.forRootAsync()` accepts: `useFactory` + `inject`, `useClass` or `useExisting`. */
export type SpotzeeModuleAsyncOptions = typeof SPOTZEE_ASYNC_OPTIONS_TYPE;
