import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable, type Observer, type Subscriber, type Unsubscribable } from 'rxjs';
import { CallbackTimedOut, isAsync, settleWithin } from './async-callback.js';
import type { RejectionReason } from './delivery/outcomes.js';
import type { TrackInput } from './delivery/spotzee-event.js';
import { mergeContact } from './contact.resolver.js';
import type { EmitsEventDefinition, EmitsEventOptions } from './emits-event.decorator.js';
import { EmitsEventMetadataAccessor } from './emits-event.metadata.js';
import { RequestEventsContext, requestEventsStorage, type RequestOrigin } from './request-events.context.js';
import { SPOTZEE_SETTINGS, SPOTZEE_TRACKER } from './spotzee.constants.js';
import { messages } from './spotzee.messages.js';
import type { SpotzeeContact } from './spotzee-module-options.interface.js';
import type { SpotzeeSettings } from './spotzee-settings.factory.js';
import type { SpotzeeTracker } from './spotzee.tracker.js';

/** The native Node response (`reply.raw` on Fastify, the response itself on Express). */
interface NativeResponse {
  readonly statusCode: number;
  readonly writableFinished?: boolean;
  readonly headersSent?: boolean;
  on(event: 'finish' | 'close', listener: () => void): unknown;
}

interface HttpRequestLike {
  method?: string;
  route?: { path?: unknown };
  routeOptions?: { url?: unknown };
}

/** `@Sse()`'s metadata key (`SSE_METADATA` in @nestjs/common/constants, which has no public entry point). */
const SSE_METADATA = '__sse__';

type Mapper = Exclude<keyof EmitsEventOptions, 'schema'>;

const MAPPER_FAILURE: Record<Mapper, RejectionReason> = {
  when: 'invalid_data',
  data: 'invalid_data',
  identify: 'invalid_user',
  contact: 'missing_contact',
  idempotencyKey: 'invalid_idempotency_key',
};

/**
 * Opens a request context around the handler so that every event of the request — `@EmitsEvent`
 * definitions and `track()` calls anywhere below, after awaits too — is held, then sent only if the
 * request succeeds: HTTP when the response finishes with a status below 400 (the final one, after
 * exception filters), RPC/GraphQL/WebSocket when the handler completes without error.
 *
 * It never changes the handler's result or error, and nothing it does can fail the request.
 * Registered globally by the module unless `globalInterceptor: false`; also usable with
 * `@UseInterceptors(SpotzeeInterceptor)` (a second one on the same request steps aside).
 */
@Injectable()
export class SpotzeeInterceptor implements NestInterceptor {
  protected readonly metadata = new EmitsEventMetadataAccessor();

  // String tokens only: `@UseInterceptors(SpotzeeInterceptor)` may name this class from the other
  // build of the package than the one whose module provides the tracker (ESM app, CJS library).
  constructor(
    @Inject(SPOTZEE_TRACKER) protected readonly tracker: SpotzeeTracker,
    @Inject(SPOTZEE_SETTINGS) protected readonly settings: SpotzeeSettings,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const key = this.requestKey(context);
    if (requestEventsStorage.getStore()?.key === key) {
      return next.handle();
    }
    const response = context.getType() === 'http' ? this.nativeResponse(context) : undefined;
    // One object per request carries everything the request needs later (lazy source and contact,
    // the handler's last value, the observer), instead of a closure and an rxjs operator per concern:
    // this runs on every request of every route.
    const call = new InterceptedCall(this, context, next, this.metadata.getDefinitions(context.getHandler()), response);
    const events = new RequestEventsContext(key, call, this.settings);
    call.events = events;
    if (response) {
      this.settleOnResponse(response, events, Reflect.getMetadata(SSE_METADATA, context.getHandler()) === true);
    }
    // `next.handle()` must be called, not only subscribed, inside run(): Nest binds the handler's
    // async scope at the call, and that scope is what services see after their awaits.
    return new Observable<unknown>((subscriber) => requestEventsStorage.run(events, startCall, call, subscriber));
  }

  /** The handler completed with `result` (its last value): capture time is now. */
  protected handlerCompleted(call: InterceptedCall): void {
    const events = call.events!;
    if (call.definitions.length > 0) {
      this.guard(events, () => this.captureDefinitions(call.definitions, call.result, call.context, events));
    }
    if (!call.response) {
      this.settle(events, true, 'completed');
    }
  }

  /**
   * Turns each `@EmitsEvent` definition into an event; a failing mapper rejects that event only. Mappers
   * run in order (`when`, `contact`, `data`, `identify`, `idempotencyKey`); synchronous ones are
   * captured at once, and from the first one that returns a Promise or an Observable the rest of that
   * definition continues once it settles (bounded by `asyncTimeoutMs`), the request's commit waiting
   * for it. A `when` that has not resolved never sends.
   */
  protected captureDefinitions(
    definitions: readonly EmitsEventDefinition[],
    result: unknown,
    context: ExecutionContext,
    events: RequestEventsContext,
  ): void {
    for (const definition of definitions) {
      const capture = new DefinitionCapture(definition, result, context, events);
      const pending = this.runMappers(capture, 0);
      if (pending !== undefined) {
        this.tracker.defer(events, pending);
      }
    }
  }

  /**
   * Runs the definition's mappers from `from`; returns a Promise if one of them (or the request's
   * contact resolver) answered asynchronously, for the rest of the work.
   */
  private runMappers(capture: DefinitionCapture, from: number): Promise<void> | undefined {
    const { options } = capture.definition;
    for (let i = from; i < MAPPER_ORDER.length; i++) {
      const mapper = MAPPER_ORDER[i]!;
      const fn = options[mapper];
      if (!fn) {
        continue;
      }
      let value: unknown;
      try {
        value = (fn as (result: unknown, context: ExecutionContext) => unknown)(capture.result, capture.context);
      } catch (error) {
        this.rejectMapper(capture, mapper, messages.mapperThrew(mapper, capture.name, capture.source, error));
        return undefined;
      }
      if (isAsync(value)) {
        const timeoutMs = this.settings.asyncTimeoutMs;
        return settleWithin(value, timeoutMs).then(
          (settled) => (capture.accept(mapper, settled) ? this.runMappers(capture, i + 1) : this.stopped(capture)),
          (error: unknown) =>
            this.rejectMapper(
              capture,
              mapper,
              error instanceof CallbackTimedOut
                ? messages.mapperTimedOut(mapper, capture.name, capture.source, timeoutMs)
                : messages.mapperThrew(mapper, capture.name, capture.source, error),
            ),
        );
      }
      if (!capture.accept(mapper, value)) {
        return this.stopped(capture);
      }
    }
    // The request's contact, resolved for this event (an async resolver is awaited like a mapper).
    const base = capture.events.contact;
    if (isAsync(base)) {
      return Promise.resolve(base).then((contact) => this.emit(capture, contact));
    }
    this.emit(capture, base);
    return undefined;
  }

  /** The definition stops before its event: `when` said no, or the contact mapper's answer is rejected. */
  private stopped(capture: DefinitionCapture): undefined {
    if (capture.rejection !== undefined) {
      this.tracker.reject(capture.input(), 'missing_contact', capture.rejection, 'contact');
    }
    return undefined;
  }

  private emit(capture: DefinitionCapture, base: SpotzeeContact): void {
    const contact = mergeContact(base, capture.values.contact as SpotzeeContact | undefined);
    const { definition, events } = capture;
    // Built whole, in one shape: every decorated request goes through here.
    const input: TrackInput = {
      name: definition.name,
      source: capture.source,
      externalId: contact.externalId ?? null,
      anonymousId: contact.anonymousId ?? null,
      data: (capture.values.data ?? null) as TrackInput['data'],
      identify: (capture.values.identify ?? undefined) as TrackInput['identify'],
      idempotencyKey: (capture.values.idempotencyKey ?? undefined) as TrackInput['idempotencyKey'],
    };
    this.tracker.capture(input, definition.options.schema ?? this.settings.schemas.get(definition.name), events);
  }

  private rejectMapper(capture: DefinitionCapture, mapper: Mapper, message: string): void {
    this.tracker.reject(capture.input(), MAPPER_FAILURE[mapper], message, mapper);
  }

  /** Commits the request's events, or discards them when it failed (unless `sendOnFailedRequest`). */
  protected settle(events: RequestEventsContext, succeeded: boolean, why: string): void {
    if (events.state !== 'open') {
      return;
    }
    this.guard(events, () => {
      if (succeeded || this.settings.sendOnFailedRequest) {
        // Waits for the request's own async mappers and schemas, if any are still running.
        events.commit();
        return;
      }
      // Counted (`stats().discarded`), announced to `discarded` listeners and folded into a debug line.
      events.discard(why);
    });
  }

  /**
   * Runs our own bookkeeping so that a bug in it is logged, never thrown: it runs inside the
   * handler's observable (an error would fail the request) and in response listeners (an error
   * there would crash the process).
   */
  protected guard(events: RequestEventsContext, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.tracker.warnOnce(`internal:${events.source}`, messages.internalError(events.source, error));
    }
  }

  protected settleOnResponse(response: NativeResponse, events: RequestEventsContext, sse = false): void {
    // Plain `on`, no removal: `settle` acts once, and both listeners go with the response object.
    // (`once` would wrap each listener, and removing the other one costs a listener-array scan.)
    response.on('finish', () => {
      this.settleOnStatus(events, response.statusCode);
    });
    response.on('close', () => {
      if (response.writableFinished) {
        this.settleOnStatus(events, response.statusCode);
        return;
      }
      if (sse && response.headersSent && response.statusCode < 400) {
        // A client closing its event stream is how an SSE response normally ends: what the stream
        // emitted was done and shown, so its events are committed.
        this.settle(events, true, 'the client closed the event stream');
        return;
      }
      this.settle(events, false, 'the client went away before the response was sent');
    });
  }

  private settleOnStatus(events: RequestEventsContext, status: number): void {
    // The reason is only ever read for a discarded request: no string is built for a successful one.
    if (status < 400) {
      this.settle(events, true, 'the response succeeded');
    } else {
      this.settle(events, false, `the response status was ${status}`);
    }
  }

  /** The request's contact for one event; an async resolver gives a Promise that never rejects. */
  protected resolveContact(
    context: ExecutionContext,
    events: RequestEventsContext,
  ): SpotzeeContact | Promise<SpotzeeContact> {
    let resolved: unknown;
    try {
      resolved = this.settings.contact(context);
    } catch (error) {
      this.tracker.warnOnce(`contact:${events.source}`, messages.contactResolverThrew(events.source, error));
      return {};
    }
    if (!isAsync(resolved)) {
      return (resolved as SpotzeeContact | undefined) ?? {};
    }
    const timeoutMs = this.settings.asyncTimeoutMs;
    return settleWithin(resolved, timeoutMs).then(
      (contact) => (contact as SpotzeeContact | undefined) ?? {},
      (error: unknown) => {
        this.tracker.warnOnce(
          `contact:${events.source}`,
          error instanceof CallbackTimedOut
            ? messages.contactResolverTimedOut(events.source, timeoutMs)
            : messages.contactResolverThrew(events.source, error),
        );
        return {};
      },
    );
  }

  /** `POST /orders/:id` (the route pattern, never the URL with its ids), else `OrdersController.create`. */
  protected describeSource(context: ExecutionContext): string {
    if (context.getType() === 'http') {
      const request = context.getArgByIndex<HttpRequestLike | undefined>(0);
      const route = request?.route?.path ?? request?.routeOptions?.url;
      if (request?.method && typeof route === 'string') {
        return `${request.method} ${route}`;
      }
    }
    return `${context.getClass().name}.${context.getHandler().name}`;
  }

  // HTTP arguments are read by index (request, response): `switchToHttp()` builds an object and three
  // closures per call and reshapes the context, and this runs on every request.

  /** One HTTP request object per request; otherwise the argument array Nest builds per handler call. */
  private requestKey(context: ExecutionContext): object {
    if (context.getType() === 'http') {
      const request: unknown = context.getArgByIndex(0);
      if (typeof request === 'object' && request !== null) {
        return request;
      }
    }
    return context.getArgs();
  }

  private nativeResponse(context: ExecutionContext): NativeResponse | undefined {
    const response = context.getArgByIndex<{ raw?: unknown } | undefined>(1);
    const native = (response?.raw ?? response) as Partial<NativeResponse> | undefined;
    return typeof native?.on === 'function' ? (native as NativeResponse) : undefined;
  }
}

/** The order mappers run in: `when` first, so nothing else runs for a result that emits nothing. */
const MAPPER_ORDER: readonly Mapper[] = ['when', 'contact', 'data', 'identify', 'idempotencyKey'];

/** One definition being captured: the mapper values so far, and what its outcome reports. */
class DefinitionCapture {
  readonly values: Partial<Record<Mapper, unknown>> = {};
  /** Set when the `contact` mapper returned something that is not a contact. */
  rejection: string | undefined;
  readonly source: string;

  constructor(
    readonly definition: EmitsEventDefinition,
    readonly result: unknown,
    readonly context: ExecutionContext,
    readonly events: RequestEventsContext,
  ) {
    this.source = events.source;
  }

  get name(): string {
    return this.definition.name;
  }

  /** Records a mapper's value; false when the definition stops here (`when` said no, a bad contact). */
  accept(mapper: Mapper, value: unknown): boolean {
    if (mapper === 'when') {
      return Boolean(value);
    }
    if (mapper === 'contact' && value !== undefined && (typeof value !== 'object' || value === null)) {
      this.rejection = messages.mapperReturnedNonObject('contact', this.name, this.source, value);
      return false;
    }
    this.values[mapper] = value;
    return true;
  }

  /**
   * What a rejection reports: the name, the source and the event's ids as far as they are known (the
   * request's contact when its resolver answers synchronously, under what a `contact` mapper gave).
   */
  input(): TrackInput {
    const input: TrackInput = { name: this.name, source: this.source };
    const base = this.events.contact;
    const contact = mergeContact(isAsync(base) ? {} : base, this.values.contact as SpotzeeContact | undefined);
    if (contact.externalId != null || contact.anonymousId != null) {
      input.externalId = contact.externalId ?? null;
      input.anonymousId = contact.anonymousId ?? null;
    }
    return input;
  }
}

/** Runs inside `requestEventsStorage.run()`; a plain function so that no closure is built per request. */
function startCall(call: InterceptedCall, subscriber: Subscriber<unknown>): Unsubscribable {
  return call.start(subscriber);
}

/**
 * One intercepted call: the request's lazily computed origin (source, contact), the observer of the
 * handler's observable (its last value is what mappers see) and the teardown of the subscription.
 */
export class InterceptedCall implements RequestOrigin, Observer<unknown>, Unsubscribable {
  events: RequestEventsContext | undefined;
  /** The handler's last value: what an HTTP response is built from. */
  result: unknown;
  private subscriber: Subscriber<unknown> | undefined;
  private inner: Unsubscribable | undefined;
  private done = false;

  constructor(
    private readonly interceptor: SpotzeeInterceptor,
    readonly context: ExecutionContext,
    private readonly handler: CallHandler,
    readonly definitions: readonly EmitsEventDefinition[],
    readonly response: NativeResponse | undefined,
  ) {}

  // The interceptor's protected hooks, reached by element access: a subclass's overrides still apply.
  source(): string {
    return this.interceptor['describeSource'](this.context);
  }

  contact(): SpotzeeContact | Promise<SpotzeeContact> {
    return this.interceptor['resolveContact'](this.context, this.events!);
  }

  start(subscriber: Subscriber<unknown>): Unsubscribable {
    this.subscriber = subscriber;
    this.inner = this.handler.handle().subscribe(this);
    return this;
  }

  next(value: unknown): void {
    this.result = value;
    this.subscriber!.next(value);
  }

  error(error: unknown): void {
    this.done = true;
    if (!this.response) {
      this.interceptor['settle'](this.events!, false, 'the handler failed');
    }
    this.subscriber!.error(error);
  }

  complete(): void {
    this.done = true;
    this.interceptor['handlerCompleted'](this);
    this.subscriber!.complete();
  }

  /** Teardown, also after complete/error (then a no-op): only a cancelled call settles here. */
  unsubscribe(): void {
    this.inner?.unsubscribe();
    if (!this.done && !this.response) {
      this.interceptor['settle'](this.events!, false, 'the call was cancelled before it completed');
    }
  }
}
