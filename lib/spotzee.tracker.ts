import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createRedactor, DeliveryEngine, type DeliveryEngineSeams, type Redactor } from './delivery/index.js';
import { describeEvent } from './delivery/prepare/event-summary.js';
import type { DeliveryLogger } from './delivery/ledger/delivery-logger.js';
import type { DeliveryOptions } from './delivery/delivery-options.js';
import type { DeliveryEvents, DeliveryHealth, DeliveryStats, RejectionReason } from './delivery/ledger/outcomes.js';
import type { TrackInput } from './delivery/prepare/spotzee-event.js';
import { checkSchema, type SchemaCheck, type SpotzeeSchema } from './event-schema.js';
import { currentRequestEvents, type RequestEventsContext } from './request-events.context.js';
import { SPOTZEE_DELIVERY_SEAMS, SPOTZEE_LOGGER_CONTEXT, SPOTZEE_SETTINGS } from './spotzee.constants.js';
import { messages } from './spotzee.messages.js';
import type { SpotzeeSettings } from './spotzee-settings.factory.js';

/** Everything `track()` takes besides the name. Ids default to the current request's contact. */
export type TrackOptions = Omit<TrackInput, 'name'>;

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const OUTSIDE_REQUEST_SOURCE = 'SpotzeeTracker.track()';
/** Caps on the "say it once" memories, so a stream of distinct bad names cannot grow them forever. */
const MEMORY_LIMIT = 1_000;

/**
 * The app's handle on Spotzee: `track()` from any service, `flush()`, `stats()`, `health()` and
 * outcome listeners. It owns the delivery engine: sending starts at application bootstrap and the
 * final drain runs in `onApplicationShutdown`, after the HTTP server stopped taking requests.
 *
 * Protected members are the extension surface: subclass it and provide it in place of this class
 * to change how the engine is built or how events are captured.
 */
@Injectable()
export class SpotzeeTracker implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly engine: DeliveryEngine;
  /** The logger the engine writes to too: the module's `logger` option, else `Logger('Spotzee')`. */
  readonly logger: DeliveryLogger;

  private readonly pendingChecks = new Set<Promise<void>>();
  private readonly saidOnce = new Set<string>();
  private readonly nameVerdicts = new Map<string, boolean>();
  /** Messages built from user callbacks' errors can quote anything, the key included. */
  private readonly redact: Redactor;

  constructor(
    @Inject(SPOTZEE_SETTINGS) protected readonly settings: SpotzeeSettings,
    @Optional() @Inject(SPOTZEE_DELIVERY_SEAMS) seams?: DeliveryEngineSeams,
  ) {
    this.redact = createRedactor(settings.delivery.apiKey);
    this.logger = settings.delivery.logger ?? new Logger(SPOTZEE_LOGGER_CONTEXT);
    const store = seams?.queue ?? settings.store;
    this.engine = this.createEngine(
      { ...settings.delivery, logger: this.logger },
      store === undefined ? seams : { ...seams, queue: store },
    );
  }

  /**
   * Captures an event. Synchronous, cheap, never throws. Inside a request it joins the request: it is
   * sent only if the request succeeds and, when neither id is given, it is about the request's contact.
   * Outside a request (jobs, consumers, bootstrap) it is queued at once.
   */
  track(name: string, options: TrackOptions = {}): void {
    try {
      // Typed callers cannot pass anything else, but JavaScript callers and `any` can.
      const given: TrackOptions = typeof options === 'object' && options !== null ? options : {};
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
      // Inherit both ids or neither: half a contact from the request would misattribute
      // an event that a service deliberately addressed to someone else.
      if (context && given.externalId === undefined && given.anonymousId === undefined) {
        input.externalId = context.contact.externalId ?? null;
        input.anonymousId = context.contact.anonymousId ?? null;
      }
      if (!this.acceptsName(input)) {
        return;
      }
      this.capture(input, this.settings.schemas.get(name), context);
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

  /** Resolves when every event captured so far has an outcome (retries included). Never rejects. */
  async flush(): Promise<void> {
    while (this.pendingChecks.size > 0) {
      await Promise.allSettled([...this.pendingChecks]);
    }
    await this.engine.flush();
  }

  /** Counters; `captured = delivered + rejected + dropped + pending` always holds. */
  stats(): DeliveryStats {
    return this.engine.stats();
  }

  health(): DeliveryHealth {
    return this.engine.health();
  }

  /** Subscribes to outcomes; returns the unsubscribe function. A throwing listener never breaks delivery. */
  on<K extends keyof DeliveryEvents>(type: K, listener: DeliveryEvents[K]): () => void {
    return this.engine.on(type, listener);
  }

  onApplicationBootstrap(): void {
    this.engine.start();
  }

  /**
   * Runs after the HTTP server closed, so requests that were still running have finished and their
   * events are committed before the final drain.
   */
  async onApplicationShutdown(): Promise<void> {
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
   */
  capture(input: TrackInput, schema: SpotzeeSchema | undefined, context: RequestEventsContext | undefined): void {
    if (context?.state === 'discarded') {
      this.logger.debug?.(messages.discardedLate(input.name, context.source));
      return;
    }
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
    if (!schema) {
      this.prepareAndHold(input, context);
      return;
    }
    let checked: SchemaCheck | Promise<SchemaCheck>;
    try {
      checked = checkSchema(schema, input.data);
    } catch (error) {
      this.reject(
        input,
        'schema_failed',
        messages.schemaThrew(input.name, input.source ?? OUTSIDE_REQUEST_SOURCE, error),
        'data',
      );
      return;
    }
    if (!(checked instanceof Promise)) {
      this.afterSchema(input, checked, context);
      return;
    }
    // Async schema: stamp now so `created_at` is still the moment of capture.
    const stamped: TrackInput = Object.assign({}, input, { createdAt: input.createdAt ?? new Date() });
    const task: Promise<void> = checked
      .then(
        (result) => this.afterSchema(stamped, result, context),
        (error: unknown) =>
          this.reject(
            stamped,
            'schema_failed',
            messages.schemaThrew(stamped.name, stamped.source ?? OUTSIDE_REQUEST_SOURCE, error),
            'data',
          ),
      )
      .finally(() => this.pendingChecks.delete(task));
    this.pendingChecks.add(task);
  }

  /**
   * Reports an event this layer refused before it reached the engine (mapper threw, schema failed):
   * the engine counts, redacts, reports and logs it like its own capture-time rejections.
   */
  reject(input: TrackInput, reason: RejectionReason, message: string, param?: string): void {
    this.engine.reject({
      outcome: 'rejected',
      event: {
        id: `evt_${randomUUID().replaceAll('-', '')}`,
        name: String(input.name),
        externalId: idOrNull(input.externalId),
        anonymousId: idOrNull(input.anonymousId),
        idempotencyKey: typeof input.idempotencyKey === 'string' ? input.idempotencyKey : null,
        createdAt: toIso(input.createdAt),
        source: input.source,
      },
      reason,
      message,
      ...(param === undefined ? {} : { param }),
    });
  }

  protected createEngine(options: DeliveryOptions, seams: DeliveryEngineSeams | undefined): DeliveryEngine {
    return new DeliveryEngine(options, seams);
  }

  protected acceptsName(input: TrackInput): boolean {
    const policy = this.settings.eventNames;
    if (policy === 'off' || typeof input.name !== 'string') {
      return true;
    }
    let snake = this.nameVerdicts.get(input.name);
    if (snake === undefined) {
      snake = SNAKE_CASE.test(input.name);
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

  private afterSchema(input: TrackInput, checked: SchemaCheck, context: RequestEventsContext | undefined): void {
    if (context?.state === 'discarded') {
      return;
    }
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
    const prepared = this.engine.prepare(input);
    if (!prepared.ok) {
      return; // counted, reported and logged by the engine
    }
    if (!context) {
      this.engine.commit([prepared.event]);
    } else if (context.hold(this.engine, prepared.event) === 'discarded') {
      this.logger.debug?.(messages.discardedLate(input.name, context.source));
    }
  }

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

function isBlankId(id: unknown): boolean {
  return id === undefined || id === null || id === '';
}

function idOrNull(id: unknown): string | null {
  if (typeof id === 'string') {
    return id;
  }
  return (typeof id === 'number' && Number.isFinite(id)) || typeof id === 'bigint' ? String(id) : null;
}

function toIso(createdAt: TrackInput['createdAt']): string {
  if (createdAt instanceof Date && !Number.isNaN(createdAt.getTime())) {
    return createdAt.toISOString();
  }
  return typeof createdAt === 'string' ? createdAt : new Date().toISOString();
}
