/**
 * The slice of the OpenTelemetry metrics API this library uses, typed structurally so that the package's
 * own type declarations never import `@opentelemetry/api` (an optional peer): a `MeterProvider` from the
 * API or the SDK fits these shapes as it is.
 */

export type MetricAttributesLike = Record<string, string | number | boolean>;

export interface MetricOptionsLike {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

export interface HistogramLike {
  record(value: number, attributes?: MetricAttributesLike): void;
}

/** An asynchronous instrument (observable counter or gauge): it is read when a reader collects. */
export type ObservableLike = object;

export interface BatchObservableResultLike {
  observe(observable: ObservableLike, value: number, attributes?: MetricAttributesLike): void;
}

export type BatchObservableCallbackLike = (result: BatchObservableResultLike) => void | Promise<void>;

export interface MeterLike {
  createHistogram(name: string, options?: MetricOptionsLike): HistogramLike;
  createObservableCounter(name: string, options?: MetricOptionsLike): ObservableLike;
  createObservableGauge(name: string, options?: MetricOptionsLike): ObservableLike;
  addBatchObservableCallback(callback: BatchObservableCallbackLike, observables: ObservableLike[]): void;
  removeBatchObservableCallback(callback: BatchObservableCallbackLike, observables: ObservableLike[]): void;
}

export interface MeterProviderLike {
  getMeter(name: string, version?: string, options?: { schemaUrl?: string }): MeterLike;
}
