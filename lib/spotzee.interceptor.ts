import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { isObservable, Observable, type Observer, type Subscriber, type Unsubscribable } from 'rxjs';
import { CallbackTimedOut, isAsync, settleWithin } from './async-callback.js';
import type { RejectionReason } from './delivery/ledger/outcomes.js';
import type { TrackInput } from './delivery/prepare/spotzee-event.js';
import { describeUserLookup, mergeContact } from './contact.resolver.js';
import type { EmitsEventDefinition, EmitsEventOptions } from './emits-event.decorator.js';
import { emitsEventDefinitions } from './emits-event.metadata.js';
import type { EmitsEventObserver, HandlerBinding } from './emits-event.hook.js';
import type { DecoratedRouteCall, DecoratedRouteObserver, DecoratedRouteOpener } from './emits-event.route.js';
import { RequestEventsContext, requestEventsStorage, type RequestOrigin } from './request-events.context.js';
import { SPOTZEE_RUNTIME, SPOTZEE_SETTINGS } from './spotzee.constants.js';
import { messages } from './spotzee.messages.js';
import type { SpotzeeContact } from './spotzee-module-options.interface.js';
import type { SpotzeeSettings } from './spotzee-settings.factory.js';
import type { SpotzeeRuntime } from './spotzee.runtime.js';

/** The native Node response (`reply.raw` on Fastify, the response itself on Express). */
export interface NativeResponse {
  readonly statusCode: number;
  readonly writableFinished?: boolean;
  readonly destroyed?: boolean;
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
  contact: 'invalid_contact',
  idempotencyKey: 'invalid_idempotency_key',
};

/**
 * Holds every event of a request — `@EmitsEvent` definitions and `track()` calls anywhere below the
 * handler, after awaits too — until its verdict, then sends them only if the request succeeded: HTTP
 * when the response finishes with a status below 400 (the final one, after exception filters),
 * RPC/GraphQL/WebSocket when the handler completes without error.
 *
 * Only tracked requests pay. When the app can track during requests (`requestContext`), the module
 * opens each HTTP request's context where the server hands the request over (see
 * `SpotzeeRequestListener`): a plain object, no observable, no response listener until the request
 * holds its first event. No interceptor runs on any HTTP route: a decorated route's method captures
 * from its own result (`wrapDecoratedRoute`, `runDecoratedRoute`), in the request's context or one it
 * opens. On RPC, GraphQL and WebSocket handlers `@EmitsEvent` puts its own hook, innermost, which reads
 * the handler's own result (whatever other interceptors wrap around it), asks this class to capture,
 * and gives the call its own context whose verdict is the handler's completion.
 *
 * It never changes the handler's result or error, and nothing it does can fail the request.
 * `@UseInterceptors(SpotzeeInterceptor)` opens a context for one controller or handler: what
 * `globalInterceptor: false` apps use, and a microservice handler that tracks without a decorator
 * (a second one on the same request steps aside).
 */
@Injectable()
export class SpotzeeInterceptor implements NestInterceptor, DecoratedRouteOpener {
  /**
   * False: an HTTP response is listened to only once its request holds an event. True (the testing
   * module) listens from the start, so every request in flight has a verdict to wait for.
   */
  protected readonly listensEagerly: boolean = false;

  // String tokens only: `@UseInterceptors(SpotzeeInterceptor)` may name this class from the other
  // build of the package than the one whose module provides the runtime (ESM app, CJS library).
  constructor(
    @Inject(SPOTZEE_RUNTIME) protected readonly runtime: SpotzeeRuntime,
    @Inject(SPOTZEE_SETTINGS) protected readonly settings: SpotzeeSettings,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return this.open(context, next, false);
  }

  /**
   * Opens the context of an HTTP request as the server hands it over, before any middleware: not yet
   * joinable (a `track()` in middleware stays outside it) until its handler is reached.
   */
  openHttpRequest(request: object, response: NativeResponse): RequestEventsContext {
    return this.openScope(undefined, request, response);
  }

  /** A request's context and what it knows of the request; a response is listened to now if eager. */
  private openScope(
    context: ExecutionContext | undefined,
    key: object,
    response: NativeResponse | undefined,
  ): RequestEventsContext {
    const scope = new RequestScope(this, context, key, response);
    const events = new RequestEventsContext(key, scope, this.settings);
    scope.events = events;
    if (response && this.listensEagerly) {
      scope.listen(events);
    }
    return events;
  }

  /**
   * The `@EmitsEvent` hook of a decorated handler with no context open for its call (a microservice,
   * a GraphQL resolver, or an HTTP request the listener did not see): opens one and captures.
   */
  interceptDecorated(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return this.open(context, next, true);
  }

  /**
   * A decorated route whose request no context was opened for (a Fastify `inject()`, which bypasses
   * the server; an application that opens none for undecorated routes, see `requestContext`): opens
   * one for the call, whose verdict is its response, then captures.
   */
  openDecoratedRoute(call: DecoratedRouteCall): unknown {
    const context = call.context;
    const events = this.openScope(context, this.requestKey(context), this.nativeResponse(context));
    if (!this.runtime.requestContexts.enabled) {
      // Nothing below the route joins it (no class tracks during requests): no async context is needed.
      return this.runDecoratedRoute(events, context, call);
    }
    const result = requestEventsStorage.run(events, runRoute, this, events, context, call);
    // Nest subscribes to an Observable later, outside run(): the work it starts then stays in the request.
    return isObservable(result)
      ? new Observable<unknown>((subscriber) => requestEventsStorage.run(events, subscribeTo, result, subscriber))
      : result;
  }

  /**
   * Calls a decorated route and captures its definitions from its own result: at once for a value,
   * when it resolves for a Promise (before Nest, which awaits it after us, writes the response), on
   * completion for an Observable (its last value). A failing route captures nothing; its error and
   * result reach Nest untouched.
   */
  protected runDecoratedRoute(
    events: RequestEventsContext,
    context: ExecutionContext,
    call: DecoratedRouteCall,
  ): unknown {
    const result = call.method.apply(call.instance, call.args);
    if (isObservable(result)) {
      const handlerCall = new HandlerCall(this, events, context, call.definitions, result);
      return new Observable<unknown>((subscriber) => handlerCall.start(subscriber));
    }
    if (isThenable(result)) {
      // A branch of its own, not a chained Promise handed to Nest: the route's Promise is returned as is.
      result.then(
        (value) => this.guard(events, () => this.captureDefinitions(call.definitions, value, context, events)),
        IGNORE,
      );
      return result;
    }
    this.guard(events, () => this.captureDefinitions(call.definitions, result, context, events));
    return result;
  }

  private open(context: ExecutionContext, next: CallHandler, decorated: boolean): Observable<unknown> {
    const key = this.requestKey(context);
    const current = requestEventsStorage.getStore();
    if (current?.key === key) {
      return decorated ? this.observeHandler(current, context, next) : next.handle();
    }
    const response = context.getType() === 'http' ? this.nativeResponse(context) : undefined;
    const events = this.openScope(context, key, response);
    const handler: CallHandler = decorated ? new ObservedHandler(this, events, context, next) : next;
    // `next.handle()` must be called, not only subscribed, inside run(): Nest binds the handler's
    // async scope at the call, and that scope is what services see after their awaits.
    if (response) {
      // The response's `finish` gives the verdict: nothing of ours observes the handler. Subscribing
      // inside the context too keeps it for work the handler's observable starts then (SSE, timers).
      const handled = requestEventsStorage.run(events, handle, handler);
      return new Observable<unknown>((subscriber) =>
        requestEventsStorage.run(events, subscribeTo, handled, subscriber),
      );
    }
    // No response to wait for: the handler's completion is the verdict.
    return new Observable<unknown>((subscriber) =>
      requestEventsStorage.run(events, startVerdictCall, new VerdictCall(this, events, handler), subscriber),
    );
  }

  /**
   * The `@EmitsEvent` hook of a decorated handler, innermost: observes the handler's own result and
   * captures the handler's definitions when it completes.
   */
  protected observeHandler(
    events: RequestEventsContext,
    context: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    const definitions = emitsEventDefinitions(context.getHandler());
    if (definitions.length === 0) {
      return next.handle();
    }
    // Called here, not on subscription: the hook's caller subscribes outside the request's async scope.
    const call = new HandlerCall(this, events, context, definitions, next.handle());
    return new Observable<unknown>((subscriber) => call.start(subscriber));
  }

  /** The handler completed with `result` (its last value): capture time is now. */
  protected handlerCompleted(call: HandlerCall): void {
    this.guard(call.events, () => this.captureDefinitions(call.definitions, call.result, call.context, call.events));
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
        this.runtime.defer(events, pending);
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
      this.runtime.reject(capture.input(), 'invalid_contact', capture.rejection, 'contact');
    }
    return undefined;
  }

  private emit(capture: DefinitionCapture, base: SpotzeeContact): void {
    const contact = mergeContact(base, capture.values.contact as SpotzeeContact | undefined);
    const { definition, events } = capture;
    const data = capture.values.data;
    if (onlyUndefinedFields(data)) {
      this.runtime.warnOnce(
        `undefined-data:${capture.source}:${definition.name}`,
        messages.dataMapperOnlyUndefined(definition.name, capture.source, Object.keys(data as object)),
      );
    }
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
    this.runtime.capture(input, definition.options.schema ?? this.settings.schemas.get(definition.name), events);
  }

  private rejectMapper(capture: DefinitionCapture, mapper: Mapper, message: string): void {
    this.runtime.reject(capture.input(), MAPPER_FAILURE[mapper], message, mapper);
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
      this.runtime.warnOnce(`internal:${events.source}`, messages.internalError(events.source, error));
    }
  }

  /** Called when the request holds its first event; the response may already have ended by then. */
  protected settleOnResponse(
    response: NativeResponse,
    events: RequestEventsContext,
    sse: () => boolean = NOT_SSE,
  ): void {
    if (response.writableFinished) {
      this.settleOnStatus(events, response.statusCode);
      return;
    }
    if (response.destroyed) {
      if (response.headersSent && response.statusCode < 400 && sse()) {
        this.settle(events, true, 'the client closed the event stream');
        return;
      }
      this.settle(events, false, 'the client went away before the response was sent');
      return;
    }
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
      if (response.headersSent && response.statusCode < 400 && sse()) {
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
      this.runtime.warnOnce(`contact:${events.source}`, messages.contactResolverThrew(events.source, error));
      return {};
    }
    if (!isAsync(resolved)) {
      return (resolved as SpotzeeContact | undefined) ?? {};
    }
    const timeoutMs = this.settings.asyncTimeoutMs;
    return settleWithin(resolved, timeoutMs).then(
      (contact) => (contact as SpotzeeContact | undefined) ?? {},
      (error: unknown) => {
        this.runtime.warnOnce(
          `contact:${events.source}`,
          error instanceof CallbackTimedOut
            ? messages.contactResolverTimedOut(events.source, timeoutMs)
            : messages.contactResolverThrew(events.source, error),
        );
        return {};
      },
    );
  }

  /** Rare (a rejection): what the contact resolver found, and which option fixes it. */
  protected describeMissingContact(context: ExecutionContext): string {
    return this.settings.defaultContact
      ? describeUserLookup(context, this.settings.userId)
      : messages.customResolverFoundNoId();
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

  /**
   * The Node request (`request.raw` on Fastify, the request itself on Express), the one object the
   * server, the listener and every handler of the request share; otherwise the argument array Nest
   * builds per handler call.
   */
  private requestKey(context: ExecutionContext): object {
    if (context.getType() === 'http') {
      const request = context.getArgByIndex<{ raw?: unknown } | undefined>(0);
      if (typeof request === 'object' && request !== null) {
        return typeof request.raw === 'object' && request.raw !== null ? request.raw : request;
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

const NOT_SSE = (): boolean => false;

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

/** True for `{ a: undefined, b: undefined }`: what a mapper reading fields off the wrong value builds. */
function onlyUndefinedFields(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) {
    return false;
  }
  let fields = 0;
  for (const key in data) {
    if ((data as Record<string, unknown>)[key] !== undefined) {
      return false;
    }
    fields += 1;
  }
  return fields > 0;
}

const IGNORE = (): void => undefined;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

// Plain functions handed to `run()`, so that no closure is built per request.
function runRoute(
  interceptor: SpotzeeInterceptor,
  events: RequestEventsContext,
  context: ExecutionContext,
  call: DecoratedRouteCall,
): unknown {
  return interceptor['runDecoratedRoute'](events, context, call);
}

function handle(next: CallHandler): Observable<unknown> {
  return next.handle();
}

function subscribeTo(handled: Observable<unknown>, subscriber: Subscriber<unknown>): Unsubscribable {
  return handled.subscribe(subscriber);
}

function startVerdictCall(call: VerdictCall, subscriber: Subscriber<unknown>): Unsubscribable {
  return call.start(subscriber);
}

/**
 * What a request context knows of the request that opened it, computed only when asked: its
 * source and contact (for events), its response (listened to once it holds an event), and the way in
 * for the `@EmitsEvent` hook of its handler. A context the HTTP listener opened learns its handler
 * from `SpotzeeHandlerGuard` (`reachedHandler`); until then it is not joinable.
 */
class RequestScope implements RequestOrigin, EmitsEventObserver, HandlerBinding, DecoratedRouteObserver {
  events: RequestEventsContext | undefined;
  private listening = false;

  constructor(
    private readonly interceptor: SpotzeeInterceptor,
    private context: ExecutionContext | undefined,
    private readonly key: object,
    private readonly response: NativeResponse | undefined,
  ) {}

  // The interceptor's protected hooks, reached by element access: a subclass's overrides still apply.
  source(): string {
    return this.interceptor['describeSource'](this.context!);
  }

  contact(): SpotzeeContact | Promise<SpotzeeContact> {
    return this.interceptor['resolveContact'](this.context!, this.events!);
  }

  contactHint(): string {
    return this.interceptor['describeMissingContact'](this.context!);
  }

  /** Not joinable: the handler is not reached yet (middleware, a 404), or the response is over. */
  ended(): boolean {
    const response = this.response;
    return (
      this.context === undefined ||
      (response !== undefined && (response.writableFinished === true || response.destroyed === true))
    );
  }

  reachedHandler(context: ExecutionContext): void {
    if (this.context === undefined && this.interceptor['requestKey'](context) === this.key) {
      this.context = context;
    }
  }

  firstHeld(events: RequestEventsContext): void {
    this.listen(events);
  }

  settleIfEnded(events: RequestEventsContext): void {
    const response = this.response;
    if (response && !this.listening && (response.writableFinished || response.destroyed)) {
      this.listen(events);
    }
  }

  /** Waits for the response's verdict (once). */
  listen(events: RequestEventsContext): void {
    if (this.response && !this.listening) {
      this.listening = true;
      this.interceptor['guard'](events, () =>
        this.interceptor['settleOnResponse'](this.response!, events, () => this.isSse()),
      );
    }
  }

  /** Read when the client closes the response, so a context opened before its handler still knows. */
  private isSse(): boolean {
    return this.context !== undefined && Reflect.getMetadata(SSE_METADATA, this.context.getHandler()) === true;
  }

  callDecoratedRoute(call: DecoratedRouteCall): unknown {
    if (this.interceptor['requestKey'](call.context) !== this.key) {
      // A route called from outside this request's pipeline: not this request's handler.
      return call.method.apply(call.instance, call.args);
    }
    // Bound here if the guard did not (another build's module): the mappers get what it would have.
    this.reachedHandler(call.context);
    return this.interceptor['runDecoratedRoute'](this.events!, this.context!, call);
  }

  observeHandler(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.interceptor['requestKey'](context) !== this.key) {
      // A GraphQL resolver under the HTTP request has a verdict of its own (its completion); an HTTP
      // handler called outside this request's pipeline is not ours.
      return context.getType() === 'http' ? next.handle() : this.interceptor.interceptDecorated(context, next);
    }
    // Reached without the guard (another build's module, or a guard-less set-up): bound here.
    this.reachedHandler(context);
    return this.interceptor['observeHandler'](this.events!, context, next);
  }
}

/** The inner call of a context opened for a decorated handler: the handler, observed by the hook's rules. */
class ObservedHandler implements CallHandler {
  constructor(
    private readonly interceptor: SpotzeeInterceptor,
    private readonly events: RequestEventsContext,
    private readonly context: ExecutionContext,
    private readonly next: CallHandler,
  ) {}

  handle(): Observable<unknown> {
    return this.interceptor['observeHandler'](this.events, this.context, this.next);
  }
}

/** Observes a call whose verdict is its completion (RPC, GraphQL, WebSocket). */
class VerdictCall implements Observer<unknown>, Unsubscribable {
  private subscriber: Subscriber<unknown> | undefined;
  private inner: Unsubscribable | undefined;
  private done = false;

  constructor(
    private readonly interceptor: SpotzeeInterceptor,
    private readonly events: RequestEventsContext,
    private readonly handler: CallHandler,
  ) {}

  start(subscriber: Subscriber<unknown>): Unsubscribable {
    this.subscriber = subscriber;
    this.inner = this.handler.handle().subscribe(this);
    return this;
  }

  next(value: unknown): void {
    this.subscriber!.next(value);
  }

  error(error: unknown): void {
    this.done = true;
    this.interceptor['settle'](this.events, false, 'the handler failed');
    this.subscriber!.error(error);
  }

  complete(): void {
    this.done = true;
    this.interceptor['settle'](this.events, true, 'completed');
    this.subscriber!.complete();
  }

  /** Teardown, also after complete/error (then a no-op): only a cancelled call settles here. */
  unsubscribe(): void {
    this.inner?.unsubscribe();
    if (!this.done) {
      this.interceptor['settle'](this.events, false, 'the call was cancelled before it completed');
    }
  }
}

/** The handler's own observable, seen from the `@EmitsEvent` hook: its last value is what mappers get. */
export class HandlerCall implements Observer<unknown> {
  /** The handler's last value: what an HTTP response is built from. */
  result: unknown;
  private subscriber: Subscriber<unknown> | undefined;

  constructor(
    private readonly interceptor: SpotzeeInterceptor,
    readonly events: RequestEventsContext,
    readonly context: ExecutionContext,
    readonly definitions: readonly EmitsEventDefinition[],
    private readonly handled: Observable<unknown>,
  ) {}

  start(subscriber: Subscriber<unknown>): Unsubscribable {
    this.subscriber = subscriber;
    return this.handled.subscribe(this);
  }

  next(value: unknown): void {
    this.result = value;
    this.subscriber!.next(value);
  }

  error(error: unknown): void {
    this.subscriber!.error(error);
  }

  complete(): void {
    this.interceptor['handlerCompleted'](this);
    this.subscriber!.complete();
  }
}
