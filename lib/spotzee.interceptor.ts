import {
  Inject,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Observable, finalize, tap } from 'rxjs';
import type { RejectionReason } from './delivery/outcomes.js';
import type { TrackInput } from './delivery/spotzee-event.js';
import { mergeContact } from './contact.resolver.js';
import type { EmitsEventDefinition, EmitsEventOptions } from './emits-event.decorator.js';
import { EmitsEventMetadataAccessor } from './emits-event.metadata.js';
import { RequestEventsContext, requestEventsStorage } from './request-events.context.js';
import { SPOTZEE_SETTINGS, SPOTZEE_TRACKER } from './spotzee.constants.js';
import { messages } from './spotzee.messages.js';
import type { SpotzeeContact } from './spotzee-module-options.interface.js';
import type { SpotzeeSettings } from './spotzee-settings.factory.js';
import type { SpotzeeTracker } from './spotzee.tracker.js';

/** The native Node response (`reply.raw` on Fastify, the response itself on Express). */
interface NativeResponse {
  readonly statusCode: number;
  readonly writableFinished?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
  removeListener(event: 'finish' | 'close', listener: () => void): unknown;
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
    const events: RequestEventsContext = new RequestEventsContext(key, {
      source: () => this.describeSource(context),
      contact: () => this.resolveContact(context, events),
    });
    const definitions = this.metadata.getDefinitions(context.getHandler());
    const response = context.getType() === 'http' ? this.nativeResponse(context) : undefined;
    if (response) {
      this.settleOnResponse(response, events);
    }
    // `next.handle()` must be called, not only subscribed, inside run(): Nest binds the handler's
    // async scope at the call, and that scope is what services see after their awaits.
    return new Observable<unknown>((subscriber) =>
      requestEventsStorage.run(events, () => {
        let result: unknown;
        return next
          .handle()
          .pipe(
            tap({
              next: (value) => {
                result = value;
              },
              complete: () => {
                // The last value is what an HTTP response is built from; capture time is now.
                if (definitions.length > 0) {
                  this.guard(events, () => this.captureDefinitions(definitions, result, context, events));
                }
                if (!response) {
                  this.settle(events, true, 'completed');
                }
              },
              error: () => {
                if (!response) {
                  this.settle(events, false, 'the handler failed');
                }
              },
            }),
            finalize(() => {
              if (!response) {
                this.settle(events, false, 'the call was cancelled before it completed');
              }
            }),
          )
          .subscribe(subscriber);
      }),
    );
  }

  /** Turns each `@EmitsEvent` definition into an event; a failing mapper rejects that event only. */
  protected captureDefinitions(
    definitions: readonly EmitsEventDefinition[],
    result: unknown,
    context: ExecutionContext,
    events: RequestEventsContext,
  ): void {
    for (const { name, options } of definitions) {
      const input: TrackInput = { name, source: events.source };
      try {
        const map = <K extends Mapper>(mapper: K): ReturnType<NonNullable<EmitsEventOptions[K]>> | undefined => {
          const fn = options[mapper] as ((result: unknown, context: ExecutionContext) => never) | undefined;
          if (!fn) {
            return undefined;
          }
          try {
            return fn(result, context);
          } catch (error) {
            throw new MapperFailure(mapper, error);
          }
        };
        if (options.when && !map('when')) {
          continue;
        }
        const override = map('contact');
        if (override !== undefined && (typeof override !== 'object' || override === null)) {
          this.tracker.reject(input, 'missing_contact', messages.mapperReturnedNonObject('contact', name, events.source, override), 'contact');
          continue;
        }
        const contact = mergeContact(events.contact, override);
        input.externalId = contact.externalId ?? null;
        input.anonymousId = contact.anonymousId ?? null;
        input.data = map('data') ?? null;
        input.identify = map('identify') ?? undefined;
        input.idempotencyKey = map('idempotencyKey') ?? undefined;
      } catch (error) {
        if (error instanceof MapperFailure) {
          this.tracker.reject(input, MAPPER_FAILURE[error.mapper], messages.mapperThrew(error.mapper, name, events.source, error.cause), error.mapper);
        } else {
          this.tracker.warnOnce(`internal:${events.source}`, messages.internalError(events.source, error));
        }
        continue;
      }
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
    const onFinish = (): void => {
      response.removeListener('close', onClose);
      this.settle(events, response.statusCode < 400, `the response status was ${response.statusCode}`);
    };
    const onClose = (): void => {
      response.removeListener('finish', onFinish);
      if (response.writableFinished) {
        onFinish();
        return;
      }
      this.settle(events, false, 'the client went away before the response was sent');
    };
    response.once('finish', onFinish);
    response.once('close', onClose);
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
      const request = context.switchToHttp().getRequest<HttpRequestLike | undefined>();
      const route = request?.route?.path ?? request?.routeOptions?.url;
      if (request?.method && typeof route === 'string') {
        return `${request.method} ${route}`;
      }
    }
    return `${context.getClass().name}.${context.getHandler().name}`;
  }

  /** One HTTP request object per request; otherwise the argument array Nest builds per handler call. */
  private requestKey(context: ExecutionContext): object {
    if (context.getType() === 'http') {
      const request: unknown = context.switchToHttp().getRequest();
      if (typeof request === 'object' && request !== null) {
        return request;
      }
    }
    return context.getArgs();
  }

  private nativeResponse(context: ExecutionContext): NativeResponse | undefined {
    const response = context.switchToHttp().getResponse<{ raw?: unknown } | undefined>();
    const native = (response?.raw ?? response) as Partial<NativeResponse> | undefined;
    return typeof native?.once === 'function' && typeof native.removeListener === 'function'
      ? (native as NativeResponse)
      : undefined;
  }
}

class MapperFailure {
  constructor(
    readonly mapper: Mapper,
    readonly cause: unknown,
  ) {}
}
