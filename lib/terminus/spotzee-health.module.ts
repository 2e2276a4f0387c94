import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { SpotzeeHealthIndicator } from './spotzee.health-indicator.js';

/**
 * Provides `SpotzeeHealthIndicator` to your HealthModule: `imports: [TerminusModule, SpotzeeHealthModule]`.
 * It imports `TerminusModule` itself for `HealthIndicatorService`; the tracker comes from the global
 * `SpotzeeModule`. Alternatively list `SpotzeeHealthIndicator` in the providers of a module that
 * imports `TerminusModule`.
 */
@Module({
  imports: [TerminusModule],
  providers: [SpotzeeHealthIndicator],
  exports: [SpotzeeHealthIndicator],
})
export class SpotzeeHealthModule {}
