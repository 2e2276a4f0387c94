import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, InternalServerErrorException, Module, Post } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createServer, type Server } from 'node:http';
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type CollectionResult,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { SILENT_LOGGER, type DeliveryStats } from '../../lib/delivery/index.js';
import {
  SPOTZEE_METRICS,
  SpotzeeModule,
  SpotzeeTracker,
  type MeterProviderLike,
  type SpotzeeModuleOptions,
} from '../../lib/index.js';
import type { SpotzeeEmulator } from '../../lib/emulator/index.js';
import { eventually } from '../support/eventually.js';
import { startApp, type RunningApp } from '../support/loopback-app.js';
import { suiteEmulator } from '../support/suite-emulator.js';
import { SpotzeeRuntime } from '../../lib/spotzee.runtime.js';

/** The SDK's pull-style reader, as in its own tests: `collect()` reads every instrument on demand. */
class InMemoryMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

@Controller('checkout')
class CheckoutController {
  constructor(private readonly spotzee: SpotzeeTracker) {}

  /** Tracks, then fails: commit-on-success throws the event away (a discard). */
  @Post('fail')
  fail(): never {
    this.spotzee.track('checkout_started', { externalId: 'cus_9' });
    throw new InternalServerErrorException('payment service down');
  }
}

@Module({ controllers: [CheckoutController] })
class CheckoutModule {}

interface Point {
  attributes: Record<string, unknown>;
  value: number;
  count?: number;
}

/** One collection, flattened: instrument name → its data points (histograms as count and sum). */
async function collect(reader: MetricReader): Promise<Map<string, Point[]>> {
  const result: CollectionResult = await reader.collect();
  expect(result.errors).toEqual([]);
  const byName = new Map<string, Point[]>();
  for (const scope of result.resourceMetrics.scopeMetrics) {
    expect(scope.scope.name).toBe('nestjs-spotzee');
    for (const metric of scope.metrics as MetricData[]) {
      const points = metric.dataPoints.map((point): Point => {
        if (metric.dataPointType === DataPointType.HISTOGRAM) {
          const histogram = point.value as { count: number; sum?: number };
          return { attributes: point.attributes, value: histogram.sum ?? 0, count: histogram.count };
        }
        return { attributes: point.attributes, value: point.value as number };
      });
      byName.set(metric.descriptor.name, points);
    }
  }
  return byName;
}

function total(collected: Map<string, Point[]>, name: string): number {
  return (collected.get(name) ?? []).reduce((sum, point) => sum + (point.count ?? point.value), 0);
}

function value(collected: Map<string, Point[]>, name: string, attributes: Record<string, unknown> = {}): number {
  const point = (collected.get(name) ?? []).find(
    (candidate) => JSON.stringify(candidate.attributes) === JSON.stringify(attributes),
  );
  return point?.count ?? point?.value ?? 0;
}

/** Every number the metrics carry, next to the `stats()` figure it must equal. */
function expectMatchesStats(collected: Map<string, Point[]>, stats: DeliveryStats): void {
  const M = SPOTZEE_METRICS;
  expect({
    captured: total(collected, M.captured),
    delivered: total(collected, M.delivered),
    rejected: total(collected, M.rejected),
    dropped: total(collected, M.dropped),
    deduplicated: total(collected, M.deduplicated),
    discarded: total(collected, M.discarded),
    pending: total(collected, M.queueDepth),
    queuedBytes: total(collected, M.queueSize),
    inFlightRequests: total(collected, M.inFlight),
    requests: total(collected, M.requestDuration),
    retries: total(collected, M.retries),
    rateLimited: total(collected, M.rateLimited),
    halted: total(collected, M.halted) === 1,
  }).toEqual({
    captured: stats.captured,
    delivered: stats.delivered,
    rejected: stats.rejected,
    dropped: stats.dropped,
    deduplicated: stats.deduplicated,
    discarded: stats.discarded,
    pending: stats.pending,
    queuedBytes: stats.queuedBytes,
    inFlightRequests: stats.inFlightRequests,
    requests: stats.requests,
    retries: stats.retries,
    rateLimited: stats.rateLimited,
    halted: stats.halted,
  });
}

describe('OpenTelemetry metrics, read by the SDK against the emulator', () => {
  const emulator = suiteEmulator();
  let running: RunningApp | undefined;
  let provider: MeterProvider;
  let reader: InMemoryMetricReader;

  beforeEach(() => {
    reader = new InMemoryMetricReader();
    provider = new MeterProvider({ readers: [reader] });
  });

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
    metrics.disable();
    await provider.shutdown();
  });

  async function boot(
    target: SpotzeeEmulator,
    options: Partial<SpotzeeModuleOptions> = {},
  ): Promise<{ tracker: SpotzeeTracker; url: string }> {
    running = await startApp({
      imports: [
        SpotzeeModule.forRoot({
          apiKey: target.apiKey,
          baseUrl: target.baseUrl,
          logger: SILENT_LOGGER,
          flushIntervalMs: 5,
          maxAttempts: 3,
          retryBaseMs: 1,
          retryMaxMs: 5,
          rateLimitJitterMs: 0,
          haltProbeIntervalMs: 20,
          ...options,
        }),
        CheckoutModule,
      ],
    });
    return { tracker: running.app.get(SpotzeeTracker), url: running.url };
  }

  it('records into the global meter provider and matches stats() exactly after a run with faults', async () => {
    metrics.setGlobalMeterProvider(provider);
    const { tracker, url } = await boot(emulator());
    expect(running!.app.get(SpotzeeRuntime).metrics).not.toBeNull();
    const target = emulator();
    const contact = { externalId: 'cus_1' };

    // Two 503s, then accepted: one batch, three attempts.
    target.inject({ kind: 'status', status: 503 }, { times: 2 });
    tracker.track('order_placed', { ...contact, idempotencyKey: 'order_placed:1' });
    tracker.track('order_placed', { ...contact, idempotencyKey: 'order_placed:1' }); // duplicate
    tracker.track('order_placed', { data: { total: 1 } }); // no contact: rejected at capture
    await tracker.flush();

    // Accepted, answer lost: the retry is a replay.
    target.inject({ kind: 'lost_response' });
    tracker.track('payment_failed', contact);
    await tracker.flush();

    // Three 503s with maxAttempts 3: dropped, retries exhausted.
    target.inject({ kind: 'status', status: 503 }, { times: 3 });
    tracker.track('order_cancelled', contact);
    await tracker.flush();

    // A 422 naming item 1: that event is rejected, the other resent under a new key.
    target.inject({
      kind: 'raw',
      status: 422,
      headers: { 'content-type': 'application/problem+json' },
      body: {
        status: 'error',
        code: 'validation_failed',
        title: 'Validation failed',
        message: 'Invalid event.',
        errors: [{ param: '1.data', code: 'invalid', message: 'data is not accepted' }],
      },
    });
    tracker.track('signed_up', { externalId: 'cus_2' });
    tracker.track('signed_up', { externalId: 'cus_3' });
    await tracker.flush();

    // A failed request: its event is discarded, never captured.
    const failed = await fetch(`${url}/checkout/fail`, { method: 'POST' });
    expect(failed.status).toBe(500);
    await eventually(() => tracker.stats().discarded === 1, 'the failed request to be discarded');

    // A 429: everyone pauses; the gauge says so while it lasts.
    // The pause lasts 2 s: far longer than one collection, which is all the gauge check needs.
    target.inject({ kind: 'rate_limit', retryAfterSeconds: 2 });
    const paused = new Promise<void>((resolve) => {
      const off = tracker.on('attempt', (attempt) => {
        if (attempt.decision === 'paused') {
          off();
          resolve();
        }
      });
    });
    tracker.track('subscription_renewed', contact);
    const flushed = tracker.flush();
    await paused;
    const duringPause = await collect(reader);
    expect(value(duringPause, SPOTZEE_METRICS.paused)).toBe(1);
    await flushed;

    // A 401: halted until the probe gets through; the gauge says so meanwhile.
    // Refused until the handle is cancelled, so the halt lasts exactly as long as the test needs.
    const refused = target.inject(
      { kind: 'status', status: 401, code: 'authentication_required' },
      { times: Infinity },
    );
    const halted = new Promise<void>((resolve) => {
      const off = tracker.on('health', (health) => {
        if (health.halted) {
          off();
          resolve();
        }
      });
    });
    tracker.track('plan_changed', contact);
    await halted;
    const duringHalt = await collect(reader);
    expect(value(duringHalt, SPOTZEE_METRICS.halted)).toBe(1);
    refused.cancel();
    await eventually(() => !tracker.stats().halted && tracker.stats().pending === 0, 'the probe to resume delivery');

    const stats = tracker.stats();
    expect(stats).toMatchObject({
      captured: 9,
      delivered: 5,
      rejected: 2,
      dropped: 1,
      pending: 0,
      deduplicated: 1,
      discarded: 1,
    });
    const collected = await collect(reader);
    expectMatchesStats(collected, stats);

    const M = SPOTZEE_METRICS;
    expect(value(collected, M.delivered, { event: 'order_placed' })).toBe(1);
    expect(value(collected, M.delivered, { event: 'payment_failed' })).toBe(1);
    expect(value(collected, M.delivered, { event: 'signed_up' })).toBe(1);
    expect(value(collected, M.rejected, { event: 'order_placed', reason: 'missing_contact' })).toBe(1);
    expect(value(collected, M.rejected, { event: 'signed_up', reason: 'server_rejected' })).toBe(1);
    expect(value(collected, M.deduplicated)).toBe(1);
    expect(value(collected, M.dropped, { event: 'order_cancelled', reason: 'retries_exhausted' })).toBe(1);
    expect(value(collected, M.paused)).toBe(0);
    expect(value(collected, M.halted)).toBe(0);
    // Request durations by answer: two 503s then the 204 of the first batch, three 503s of the dropped one.
    expect(value(collected, M.requestDuration, { decision: 'retry', 'http.response.status_code': 503 })).toBe(4);
    expect(value(collected, M.requestDuration, { decision: 'dropped', 'http.response.status_code': 503 })).toBe(1);
    expect(value(collected, M.requestDuration, { decision: 'retry' })).toBe(1); // the lost response
    expect(value(collected, M.requestDuration, { decision: 'paused', 'http.response.status_code': 429 })).toBe(1);
    // The 401 and each probe refused while the handle was armed.
    const refusals = target.stats().statuses['401']!;
    expect(refusals).toBeGreaterThanOrEqual(1);
    expect(value(collected, M.requestDuration, { decision: 'halted', 'http.response.status_code': 401 })).toBe(
      refusals,
    );
    // Attempts per settled batch: 3 (two 503s then 204) + 2 (lost, replay) + 3 (exhausted) …
    const attempts = collected.get(M.attempts) ?? [];
    const delivered = attempts.find((point) => point.attributes.decision === 'delivered');
    const dropped = attempts.find((point) => point.attributes.decision === 'dropped');
    expect(dropped).toMatchObject({ count: 1, value: 3 });
    // delivered batches: 3 + 2 + 1 (the resent signed_up) + 2 (429 then 204) + the 401s then 204
    expect(delivered).toMatchObject({ count: 5, value: 8 + refusals + 1 });
    expect(target.stats().replays).toBe(1);
  });

  it('records into a provider given in the options, and bounds the event attribute', async () => {
    const { tracker } = await boot(emulator(), { metrics: { meterProvider: provider, maxEventNames: 2 } });
    for (const name of ['a_done', 'b_done', 'c_done', 'd_done']) tracker.track(name, { externalId: 'cus_1' });
    await tracker.flush();
    const collected = await collect(reader);
    expect(collected.get(SPOTZEE_METRICS.delivered)?.map((point) => [point.attributes, point.value])).toEqual([
      [{ event: 'a_done' }, 1],
      [{ event: 'b_done' }, 1],
      [{ event: '_other' }, 2],
    ]);
    expectMatchesStats(collected, tracker.stats());
  });

  it('shows up on a Prometheus scrape as the README describes', async () => {
    // The README's main.ts, with the exporter's handler behind an ephemeral port instead of 9464.
    const prometheus = new PrometheusExporter({ preventServerStart: true });
    const scraped = new MeterProvider({ readers: [prometheus] });
    metrics.setGlobalMeterProvider(scraped);
    const server: Server = createServer((req, res) => prometheus.getMetricsRequestHandler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { tracker } = await boot(emulator());
      tracker.track('order_placed', { externalId: 'cus_1' });
      tracker.track('order_placed', { externalId: 'cus_2' });
      tracker.track('order_placed', {});
      await tracker.flush();
      const address = server.address() as { port: number };
      const text = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
      const sample = (name: string, labels: string, value: number) =>
        expect(text).toMatch(new RegExp(`^${name}\\{${labels}otel_scope_name="nestjs-spotzee"[^}]*\\} ${value}$`, 'm'));
      sample('spotzee_events_captured_total', '', 3);
      sample('spotzee_events_delivered_total', 'event="order_placed",', 2);
      sample('spotzee_events_rejected_total', 'event="order_placed",reason="missing_contact",', 1);
      sample('spotzee_queue_depth', '', 0);
      sample('spotzee_delivery_halted', '', 0);
      sample('spotzee_batch_request_duration_count', 'decision="delivered",http_response_status_code="204",', 1);
      sample('spotzee_batch_attempts_count', 'decision="delivered",', 1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await scraped.shutdown();
    }
  });

  it('is off, and subscribes nothing, when no meter provider is registered or metrics is false', async () => {
    // @opentelemetry/api is installed here, but nothing is registered: the API would hand out no-op meters.
    await boot(emulator());
    expect(running!.app.get(SpotzeeRuntime).metrics).toBeNull();
    await running!.app.close();

    metrics.setGlobalMeterProvider(provider);
    const second = await boot(emulator(), { metrics: false });
    expect(running!.app.get(SpotzeeRuntime).metrics).toBeNull();
    second.tracker.track('order_placed', { externalId: 'cus_1' });
    await second.tracker.flush();
    expect((await reader.collect()).resourceMetrics.scopeMetrics).toEqual([]);
  });

  it('accepts the OpenTelemetry API and SDK providers as they are, and refuses what is not one', async () => {
    const fromApi: MeterProviderLike = metrics.getMeterProvider();
    const fromSdk: MeterProviderLike = provider;
    expect([typeof fromApi.getMeter, typeof fromSdk.getMeter]).toEqual(['function', 'function']);
    await expect(
      startApp({
        imports: [
          SpotzeeModule.forRoot({
            dryRun: true,
            logger: SILENT_LOGGER,
            metrics: { meterProvider: {} as MeterProviderLike },
          }),
        ],
      }),
    ).rejects.toThrow(
      'Invalid Spotzee option metrics.meterProvider: expected an OpenTelemetry MeterProvider (an object with getMeter()), got an object; omit it to use the global one.',
    );
  });
});
