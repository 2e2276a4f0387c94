import type { MeterProviderLike } from './meter-like.js';

/** What the `metrics` option resolves to; `false` turns metrics off. */
export interface SpotzeeMetricsOptions {
  /** Default: the global provider registered with `@opentelemetry/api` (`metrics.setGlobalMeterProvider`). */
  meterProvider?: MeterProviderLike;
  /** Distinct `event` attribute values before the rest share `_other`. Default 100. */
  maxEventNames?: number;
}

/**
 * The meter provider to record into, or null when there is nothing to record into: metrics turned off,
 * `@opentelemetry/api` not installed (an optional peer), or no provider registered (the API then hands
 * out no-op meters, and the library does not even subscribe its listeners). Asynchronous because the
 * API is loaded on demand, once, at start-up, never on the capture path.
 */
export async function resolveMeterProvider(
  setting: boolean | SpotzeeMetricsOptions | undefined,
): Promise<MeterProviderLike | null> {
  if (setting === false) return null;
  if (typeof setting === 'object' && setting.meterProvider !== undefined) return setting.meterProvider;
  let api: typeof import('@opentelemetry/api');
  try {
    api = await import('@opentelemetry/api');
  } catch {
    return null;
  }
  // Every copy of the API (major 1) shares one global slot, so the app's registration is seen here.
  const provider = api.metrics.getMeterProvider();
  const noopMeter = api.createNoopMeter();
  return provider.getMeter('nestjs-spotzee').constructor === noopMeter.constructor ? null : provider;
}
