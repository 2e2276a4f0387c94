import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable, type Observer, type Subscriber, type Unsubscribable } from 'rxjs';
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
  on(event: 'finish' | 'close', listener: () => void): unknown;
}

interface HttpRequestLike {
  method?: string;
  route?: { path?: unknown };
  routeOptions?: { url?: unknown };
}

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
    const events = new RequestEventsContext(key, call);
    call.events = events;
    if (response) {
      this.settleOnResponse(response, events);
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

  /** Turns each `@EmitsEvent` definition into an event; a failing mapper rejects that event only. */
  protected captureDefinitions(
    definitions: readonly EmitsEventDefinition[],
    result: unknown,
    context: ExecutionContext,
    events: RequestEventsContext,
  ): void {
    for (const { name, options } of definitions) {
      const source = events.source;
      let externalId: string | null | undefined;
      let anonymousId: string | null | undefined;
      let data: unknown;
      let identify: unknown;
      let idempotencyKey: unknown;
      try {
        if (options.when && !callMapper('when', options.when, result, context)) {
          continue;
        }
        const override: unknown = options.contact ? callMapper('contact', options.contact, result, context) : undefined;
        if (override !== undefined && (typeof override !== 'object' || override === null)) {
          this.tracker.reject(
            { name, source },
            'missing_contact',
            messages.mapperReturnedNonObject('contact', name, source, override),
            'contact',
          );
          continue;
        }
        const contact = mergeContact(events.contact, override as SpotzeeContact | undefined);
        externalId = contact.externalId ?? null;
        anonymousId = contact.anonymousId ?? null;
        data = (options.data ? callMapper('data', options.data, result, context) : undefined) ?? null;
        identify =
          (options.identify ? callMapper('identify', options.identify, result, context) : undefined) ?? undefined;
        idempotencyKey =
          (options.idempotencyKey
            ? callMapper('idempotencyKey', options.idempotencyKey, result, context)
            : undefined) ?? undefined;
      } catch (error) {
        if (error instanceof MapperFailure) {
          // The ids resolved before the failing mapper still describe the event in its outcome.
          const input: TrackInput = { name, source };
          if (externalId !== undefined) {
            input.externalId = externalId;
            input.anonymousId = anonymousId;
          }
          this.tracker.reject(
            input,
            MAPPER_FAILURE[error.mapper],
            messages.mapperThrew(error.mapper, name, source, error.cause),
            error.mapper,
          );
        } else {
          this.tracker.warnOnce(`internal:${source}`, messages.internalError(source, error));
        }
        continue;
      }
      // Built whole, in one shape: every decorated request goes through here.
      const input: TrackInput = {
        name,
        source,
        externalId,
        anonymousId,
        data: data as TrackInput['data'],
        identify: identify as TrackInput['identify'],
        idempotencyKey: idempotencyKey as TrackInput['idempotencyKey'],
      };
      this.tracker.capture(input, options.schema ?? this.settings.schemas.get(name), events);
    }
  }

  /** Commits the request's events, or discards them when it failed (unless `sendOnFailedRequest`). */
  protected settle(events: RequestEventsContext, succeeded: boolean, why: string): void {
    if (events.state !== 'open') {
      return;
    }
    this.guard(events, () => {
      if (succeeded || this.settings.sendOnFailedRequest) {
        events.commit();
        return;
      }
      const discarded = events.discard();
      if (discarded > 0) {
        this.tracker.engine.discard(discarded);
        this.tracker.logger.debug?.(messages.discarded(discarded, events.source, why));
      }
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

  protected settleOnResponse(response: NativeResponse, events: RequestEventsContext): void {
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

  protected resolveContact(context: ExecutionContext, events: RequestEventsContext): SpotzeeContact {
    try {
      return this.settings.contact(context) ?? {};
    } catch (error) {
      this.tracker.warnOnce(`contact:${events.source}`, messages.contactResolverThrew(events.source, error));
      return {};
    }
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

class MapperFailure {
  constructor(
    readonly mapper: Mapper,
    readonly cause: unknown,
  ) {}
}

/** Calls one mapper; what it throws is tagged with the mapper, to reject the event with the right reason. */
function callMapper(
  mapper: Mapper,
  fn: (result: never, context: ExecutionContext) => unknown,
  result: unknown,
  context: ExecutionContext,
): unknown {
  try {
    return fn(result as never, context);
  } catch (error) {
    throw new MapperFailure(mapper, error);
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

  contact(): SpotzeeContact {
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
