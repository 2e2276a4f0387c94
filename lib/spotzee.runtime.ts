import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { CallbackTimedOut, isAsync, settleWithin } from './async-callback.js';
import { createRedactor, DeliveryEngine, type DeliveryEngineSeams, type Redactor } from './delivery/index.js';
import { flushTimeout, type FlushOptions } from './delivery/delivery-engine.js';
import { describeEvent, summarizeInput } from './delivery/prepare/event-summary.js';
import { isSnakeCase } from './catalog/event-name-pitfalls.js';
import type { DeliveryLogger } from './delivery/ledger/delivery-logger.js';
import type { RejectionReason } from './delivery/ledger/outcomes.js';
import type { TrackInput } from './delivery/prepare/spotzee-event.js';
import type { RuntimeCatalog } from './catalog/runtime-catalog.js';
import { checkSchema, isStandardSchema, type SchemaCheck, type SpotzeeSchema } from './event-schema.js';
import { snapshotData } from './data-snapshot.js';
import { currentRequestEvents, type RequestEventsContext } from './request-events.context.js';
import type { RequestContexts } from './request-context.policy.js';
import { instrumentDeliveryMetrics, type DeliveryMetricsHandle } from './metrics/delivery-metrics.js';
import type { MeterProviderLike } from './metrics/meter-like.js';
import {
  SPOTZEE_DELIVERY_SEAMS,
  SPOTZEE_LOGGER_CONTEXT,
  SPOTZEE_METER_PROVIDER,
  SPOTZEE_REQUEST_CONTEXTS,
  SPOTZEE_SETTINGS,
} from './spotzee.constants.js';
import { messages } from './spotzee.messages.js';
import type { SpotzeeSettings } from './spotzee-settings.factory.js';

const OUTSIDE_REQUEST_SOURCE = 'SpotzeeTracker.track()';
/** What `track()` takes besides the name, whatever the catalogue says about its `data`. */
type TrackOptions = Omit<TrackInput, 'name'>;

/** Caps on the "say it once" memories, so a stream of distinct bad names cannot grow them forever. */
const MEMORY_LIMIT = 1_000;

/**
 * What stands behind `SpotzeeTracker`, for the Nest layer only (the interceptor, the explorer, the
 * testing recorder), never exported from the package root: it owns the delivery engine and the
 * logger, runs the capture path shared by `track()` and `@EmitsEvent` (name and catalogue checks,
 * schemas, hold in the request or queue at once), keeps the user code still running for events
 * (`defer`), and the lifecycle: sending starts at application bootstrap and the final drain runs in
 * `onApplicationShutdown`, after the HTTP server stopped taking requests.
 *
 * To replace the transport or the queue store, provide `SPOTZEE_DELIVERY_SEAMS` (or the `store` option).
 */
@Injectable()
export class SpotzeeRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly engine: DeliveryEngine;
  /** The logger the engine writes to too: the module's `logger` option, else `Logger('Spotzee')`. */
  readonly logger: DeliveryLogger;
  /** The queue store's class name, for the start-up line. */
  readonly storeName: string;
  /** Whether HTTP requests get a context that `track()` calls below their handler join. */
  readonly requestContexts: RequestContexts;

  /** User code still running for events (async schemas, mappers, resolvers): `flush()` waits for it. */
  private readonly pendingChecks = new Set<Promise<void>>();
  /** Schemas seen answering asynchronously: they are handed a snapshot of `data`, not the live object. */
  private readonly asyncSchemas = new WeakSet<object>();
  private exitDrain: Promise<void> | undefined;
  private readonly saidOnce = new Set<string>();
  private readonly nameVerdicts = new Map<string, boolean>();
  /** Messages built from user callbacks' errors can quote anything, the key included. */
  private readonly redact: Redactor;

  /** Set when OpenTelemetry metrics are recorded (see the `metrics` option). */
  readonly metrics: DeliveryMetricsHandle | null = null;

  constructor(
    @Inject(SPOTZEE_SETTINGS) private readonly settings: SpotzeeSettings,
    @Optional() @Inject(SPOTZEE_DELIVERY_SEAMS) seams?: DeliveryEngineSeams,
    @Optional() @Inject(SPOTZEE_METER_PROVIDER) meterProvider?: MeterProviderLike | null,
    @Optional() @Inject(SPOTZEE_REQUEST_CONTEXTS) contexts?: RequestContexts,
  ) {
    this.requestContexts = contexts ?? { enabled: true, reason: 'on' };
    this.redact = createRedactor(settings.delivery.apiKey);
    // Guarded once here: every line of the Nest layer and the engine goes through it, and a logger
    // that throws (the app's, or Nest's own when the app replaced it) must never reach a response
    // listener, where it would crash the process.
    this.logger = guardLogger(settings.delivery.logger ?? new Logger(SPOTZEE_LOGGER_CONTEXT));
    const store = seams?.queue ?? settings.store;
    const engineSeams = store === undefined ? seams : { ...seams, queue: store };
    this.engine = new DeliveryEngine({ ...settings.delivery, logger: this.logger }, engineSeams);
    this.storeName = engineSeams?.queue?.constructor.name ?? 'MemoryEventQueue';
    if (meterProvider && settings.metrics !== false) {
      this.metrics = instrumentDeliveryMetrics(this.engine, {
        meterProvider,
        maxEventNames: settings.metrics.maxEventNames,
      });
    }
  }

  /** `SpotzeeTracker.track()`: synchronous, cheap, never throws. */
  track(name: string, options: TrackOptions = {}): void {
    try {
      // Typed callers cannot pass anything else, but JavaScript callers and `any` can.
      const given: TrackOptions = typeof options === 'object' && options !== null ? options : {};
      // Only an open request: work that outlived its request's verdict is treated as outside any request.
      const context = currentRequestEvents();
      // Built field by field: an object spread here costs microseconds per call on Node 20.
      const input: TrackInput = {
        name,
        externalId: given.externalId,
        anonymousId: given.anonymousId,
        data: given.data,
        identify: given.identify,
        idempotencyKey: given.idempotencyKey,
        createdAt: given.createdAt,
        source: given.source ?? context?.source ?? OUTSIDE_REQUEST_SOURCE,
      };
      if (!this.acceptsName(input)) {
        return;
      }
      const schema = this.settings.schemas.get(name);
      // Inherit both ids or neither: half a contact from the request would misattribute
      // an event that a service deliberately addressed to someone else.
      if (context && given.externalId === undefined && given.anonymousId === undefined) {
        // Resolved now, for this event: the request may have logged its user in since the last one.
        const contact = context.contact;
        if (isAsync(contact)) {
          // An async resolver: the event waits for it (bounded), holding the data as it is now.
          input.createdAt ??= new Date();
          input.data = snapshotData(input.data) as TrackInput['data'];
          input.identify = snapshotData(input.identify) as TrackInput['identify'];
          this.defer(
            context,
            Promise.resolve(contact).then((resolved) => {
              input.externalId = resolved.externalId ?? null;
              input.anonymousId = resolved.anonymousId ?? null;
              this.capture(input, schema, context);
            }),
          );
          return;
        }
        input.externalId = contact.externalId ?? null;
        input.anonymousId = contact.anonymousId ?? null;
      }
      this.capture(input, schema, context);
    } catch (error) {
      // Unreachable by design; if it ever happens the event is still accounted for, not lost silently.
      try {
        this.reject(
          { name: String(name), source: OUTSIDE_REQUEST_SOURCE },
          'invalid_data',
          messages.trackerFailed(name, error),
        );
      } catch {
        // Nothing left to do that could not throw again; track() must not throw.
      }
    }
  }

  /** `SpotzeeTracker.flush()`: waits for the async checks still running, then for the engine. */
  async flush(options: FlushOptions = {}): Promise<boolean> {
    const timeoutMs = flushTimeout(options);
    const startedAt = Date.now();
    const left = (): number | undefined =>
      timeoutMs === undefined ? undefined : Math.max(0, timeoutMs - (Date.now() - startedAt));
    while (this.pendingChecks.size > 0) {
      const checks = Promise.allSettled([...this.pendingChecks]);
      const remaining = left();
      if (remaining === undefined) {
        await checks;
        continue;
      }
      const settled = await settleWithin(checks, remaining).then(
        () => true,
        () => false,
      );
      if (!settled) return false;
    }
    const remaining = left();
    return this.engine.flush(remaining === undefined ? {} : { timeoutMs: remaining });
  }

  onApplicationBootstrap(): void {
    this.engine.start();
    process.on('beforeExit', this.onBeforeExit);
    process.on('exit', this.onExit);
  }

  /**
   * Runs after the HTTP server closed, so requests that were still running have finished and their
   * events are committed before the final drain.
   */
  async onApplicationShutdown(): Promise<void> {
    process.off('beforeExit', this.onBeforeExit);
    process.off('exit', this.onExit);
    try {
      await this.settlePendingChecks(this.settings.shutdownDeadlineMs);
      // The engine logs the drain's summary line (delivered / rejected / dropped) itself.
      await this.engine.close({ deadlineMs: this.settings.shutdownDeadlineMs });
    } catch (error) {
      this.logger.error(messages.drainFailed(error));
    }
  }

  /**
   * The capture path shared by `track()` and `@EmitsEvent`: schema check, then `engine.prepare()`
   * (validate, stamp `created_at`, serialise) right now, then hold in the request or queue at once.
   * An async schema counts the event as captured and pending from this call, validates the data as
   * it is now (a snapshot), within `asyncTimeoutMs`.
   */
  capture(input: TrackInput, schema: SpotzeeSchema | undefined, context: RequestEventsContext | undefined): void {
    if (context && isBlankId(input.externalId) && isBlankId(input.anonymousId) && typeof input.name === 'string') {
      // The engine would reject it too; here the message can say what the request's user looked like.
      this.reject(
        input,
        'missing_contact',
        messages.missingContact(
          describeEvent(input.name, input.source),
          context.origin.contactHint?.() ?? messages.giveContactIds(),
        ),
        'externalId',
      );
      return;
    }
    if (this.settings.catalog && !this.acceptsCatalog(input, this.settings.catalog)) {
      return;
    }
    if (!schema) {
      this.prepareAndHold(input, context);
      return;
    }
    const source = input.source ?? OUTSIDE_REQUEST_SOURCE;
    // A schema known to answer later gets a snapshot: it may read the data after the caller changed it.
    const knownAsync = this.asyncSchemas.has(schema) || !isStandardSchema(schema);
    const validated = knownAsync ? snapshotData(input.data) : input.data;
    let checked: SchemaCheck | Promise<SchemaCheck>;
    try {
      checked = checkSchema(schema, validated);
    } catch (error) {
      this.reject(input, 'schema_failed', messages.schemaThrew(input.name, source, error), 'data');
      return;
    }
    if (!(checked instanceof Promise)) {
      this.afterSchema(input, checked, context);
      return;
    }
    if (isStandardSchema(schema)) {
      this.asyncSchemas.add(schema);
    }
    // Stamp and snapshot now: `created_at` is the moment of capture, and what is sent is the data as
    // it was then, even when the schema passes the object it was given through as its output.
    const snapshot = knownAsync ? validated : snapshotData(input.data);
    const stamped: TrackInput = Object.assign({}, input, {
      createdAt: input.createdAt ?? new Date(),
      identify: snapshotData(input.identify) as TrackInput['identify'],
    });
    const reservation = this.engine.reserve(summarizeInput(stamped, Date.now()));
    const timeoutMs = this.settings.asyncTimeoutMs;
    this.defer(
      context,
      settleWithin(checked, timeoutMs).then(
        (result) => {
          if (!this.engine.release(reservation)) {
            return; // dropped by the shutdown drain meanwhile
          }
          const check = result as SchemaCheck;
          const passedThrough = check.ok && (check.data === validated || check.data === input.data);
          this.afterSchema(
            stamped,
            passedThrough ? { ok: true, data: snapshot as Record<string, unknown> | null } : check,
            context,
          );
        },
        (error: unknown) => {
          if (!this.engine.release(reservation)) {
            return;
          }
          const message =
            error instanceof CallbackTimedOut
              ? messages.schemaTimedOut(stamped.name, source, timeoutMs)
              : messages.schemaThrew(stamped.name, source, error);
          this.reject(stamped, 'schema_failed', message, 'data');
        },
      ),
    );
  }

  /**
   * Registers user code still running for an event of `context` (or outside any request): `flush()`
   * and shutdown wait for it, and the request's commit waits for it too. Never rejects.
   */
  defer(context: RequestEventsContext | undefined, work: Promise<unknown>): void {
    context?.beginWork();
    const task: Promise<void> = work
      .then(
        () => undefined,
        (error: unknown) => {
          const source = context?.source ?? OUTSIDE_REQUEST_SOURCE;
          this.warnOnce(`internal:${source}`, messages.internalError(source, error));
        },
      )
      .finally(() => {
        this.pendingChecks.delete(task);
        context?.endWork();
      });
    this.pendingChecks.add(task);
  }

  /**
   * Reports an event this layer refused before it reached the engine (mapper threw, schema failed):
   * the engine counts, redacts, reports and logs it like its own capture-time rejections.
   */
  reject(input: TrackInput, reason: RejectionReason, message: string, param?: string): void {
    this.engine.reject({
      outcome: 'rejected',
      event: summarizeInput(input, Date.now()),
      reason,
      message,
      ...(param === undefined ? {} : { param }),
    });
  }

  private acceptsName(input: TrackInput): boolean {
    const policy = this.settings.eventNames;
    if (policy === 'off' || typeof input.name !== 'string') {
      return true;
    }
    let snake = this.nameVerdicts.get(input.name);
    if (snake === undefined) {
      snake = isSnakeCase(input.name);
      if (this.nameVerdicts.size < MEMORY_LIMIT) {
        this.nameVerdicts.set(input.name, snake);
      }
    }
    if (snake) {
      return true;
    }
    const source = input.source ?? OUTSIDE_REQUEST_SOURCE;
    if (policy === 'strict') {
      this.reject(input, 'invalid_name', messages.strictNameRejected(input.name, source), 'name');
      return false;
    }
    this.warnOnce(`name:${input.name}`, messages.nameNotSnakeCase(input.name, [source]));
    return true;
  }

  /** `catalog: 'warn' | 'strict'`: the event against the committed snapshot, before its schema. */
  private acceptsCatalog(input: TrackInput, catalog: RuntimeCatalog): boolean {
    const mismatch = catalog.check(input.name, input.data);
    if (!mismatch) {
      return true;
    }
    const source = input.source ?? OUTSIDE_REQUEST_SOURCE;
    if (this.settings.catalogPolicy === 'strict') {
      this.reject(
        input,
        'not_in_catalog',
        messages.notInCatalog(input.name, source, mismatch.problem, 'strict'),
        mismatch.param,
      );
      return false;
    }
    this.warnOnce(`catalog:${input.name}`, messages.notInCatalog(input.name, source, mismatch.problem, 'warn'));
    return true;
  }

  private afterSchema(input: TrackInput, checked: SchemaCheck, context: RequestEventsContext | undefined): void {
    if (!checked.ok) {
      this.reject(
        input,
        'schema_failed',
        messages.schemaFailed(input.name, input.source ?? OUTSIDE_REQUEST_SOURCE, checked.problem),
        checked.param,
      );
      return;
    }
    this.prepareAndHold(Object.assign({}, input, { data: checked.data }), context);
  }

  private prepareAndHold(input: TrackInput, context: RequestEventsContext | undefined): void {
    if (!context) {
      // Validated, serialised and queued in one step; a full queue refuses it before serialising.
      this.engine.capture(input);
      return;
    }
    const prepared = this.engine.prepare(input);
    if (prepared.ok) {
      // Held until the verdict (a commit, or a counted discard); over the request's bounds, dropped.
      context.hold(this.engine, prepared.event);
    }
  }

  /** A script ended without closing the app: drain before the process goes (bounded by the deadline). */
  private readonly onBeforeExit = (): void => {
    if (this.exitDrain !== undefined || (this.engine.stats().pending === 0 && this.pendingChecks.size === 0)) {
      return;
    }
    this.exitDrain = this.onApplicationShutdown();
  };

  /** The process is going now (`process.exit()`, an uncaught exception): say what is lost, synchronously. */
  private readonly onExit = (): void => {
    const pending = this.engine.stats().pending;
    if (pending > 0) {
      this.logger.error(messages.lostAtExit(pending));
    }
  };

  private async settlePendingChecks(deadlineMs: number): Promise<void> {
    if (this.pendingChecks.size === 0) {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
      timer.unref();
    });
    await Promise.race([Promise.allSettled([...this.pendingChecks]), deadline]);
    clearTimeout(timer);
  }

  /** Logs a warning once per key (bounded), so a problem repeated on every request is one line, not a flood. */
  warnOnce(key: string, message: string): void {
    this.sayOnce(key, () => this.logger.warn(this.redact(message)));
  }

  private sayOnce(key: string, say: () => void): void {
    if (this.saidOnce.has(key)) {
      return;
    }
    if (this.saidOnce.size >= MEMORY_LIMIT) {
      // Forget rather than grow: a problem may then be said again, which beats unbounded memory.
      this.saidOnce.clear();
    }
    this.saidOnce.add(key);
    say();
  }
}

/** Every call guarded: a broken logger never breaks capture, a response listener or the process. */
function guardLogger(logger: DeliveryLogger): DeliveryLogger {
  return {
    log: (message) => {
      try {
        logger.log(message);
      } catch {
        // A broken logger must not break the app.
      }
    },
    warn: (message) => {
      try {
        logger.warn(message);
      } catch {
        // As above.
      }
    },
    error: (message) => {
      try {
        logger.error(message);
      } catch {
        // As above.
      }
    },
    debug: (message) => {
      try {
        logger.debug?.(message);
      } catch {
        // As above.
      }
    },
  };
}

function isBlankId(id: unknown): boolean {
  return id === undefined || id === null || (typeof id === 'string' && id.trim() === '');
}
