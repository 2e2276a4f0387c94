export { SPOTZEE_METRICS, type SpotzeeMetricName } from './metric-names.js';
export {
  DEFAULT_MAX_EVENT_NAMES,
  instrumentDeliveryMetrics,
  type DeliveryMetricsHandle,
  type DeliveryMetricsOptions,
  type MetricsSource,
} from './delivery-metrics.js';
export { OTHER_EVENT_NAME } from './event-name-limit.js';
export { resolveMeterProvider, type SpotzeeMetricsOptions } from './meter-provider.loader.js';
export type { MeterLike, MeterProviderLike } from './meter-like.js';
