import type { EventQueueStore } from './delivery/queue/event-queue-store.js';
import type { ExecutionContext } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { DeliveryOptions } from './delivery/delivery-options.js';
import type { CatalogSnapshot } from './catalog/catalog-snapshot.js';
import type { CatalogPolicy } from './catalog/runtime-catalog.js';
import type { SpotzeeSchema } from './event-schema.js';
import type { SpotzeeMetricsOptions } from './metrics/meter-provider.loader.js';

/**
 * Who an event is about. Sending both ids stitches a pre-signup visitor to the contact. Finite
 * numbers are accepted and sent as strings (numeric primary keys, numeric JWT `sub`s).
 */
export interface SpotzeeContact {
  /** The contact's id in your own database (wire `external_id`). */
  externalId?: string | number | null | undefined;
  /** A pre-signup visitor id (wire `anonymous_id`). */
  anonymousId?: string | number | null | undefined;
}

/**
 * Where the default contact resolver finds the user's id on `request.user`: a field name
 * (`'accountId'`) or a function of the user (`(user) => user.account.id`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SpotzeeUserId = string | ((user: any, context: ExecutionContext) => unknown);

/** Resolves the contact of the request, RPC message or GraphQL operation being handled. */
export type SpotzeeContactResolver = (
  context: ExecutionContext,
) => SpotzeeContact | undefined | Promise<SpotzeeContact | undefined> | Observable<SpotzeeContact | undefined>;

/** What to do about event names that are not snake_case (`order_placed`). */
export type EventNamePolicy = 'warn' | 'strict' | 'off';

/** When every HTTP request gets a context that `track()` calls below its handler join (see `requestContext`). */
export type RequestContextPolicy = 'auto' | 'always';

export interface SpotzeeModuleOptions extends DeliveryOptions {
  /**
   * The request's contact. Default: the user's id as `externalId` — the user is `request.user`, or
   * on Fastify `request.raw.user`; its id is `userId`'s field or function, else the first of `id`,
   * `userId`, `sub` — and the `anonymousIdHeader` header as `anonymousId`; for GraphQL the same read
   * from the context's `req`; for RPC and WebSocket handlers none (give ids in the decorator's
   * `contact` mapper or in `track()`).
   */
  contact?: SpotzeeContactResolver | undefined;
  /** For the default resolver: the field of `request.user` that holds the id, or a function of the user. */
  userId?: SpotzeeUserId | undefined;
  /** Request header that carries the visitor's anonymous id. Default `x-anonymous-id`. */
  anonymousIdHeader?: string | undefined;
  /**
   * Default false: a request that fails (HTTP status ≥ 400, the client went away, an RPC or GraphQL
   * handler that errors) sends none of the events captured while handling it, so that a rolled-back
   * order never reaches a journey. True sends them anyway.
   */
  sendOnFailedRequest?: boolean | undefined;
  /**
   * Default true: hold every request's events until its verdict, with no interceptor on any route.
   * False: nothing is opened automatically; a controller or handler opts in with
   * `@UseInterceptors(SpotzeeInterceptor)`, and `@EmitsEvent` captures only there.
   */
  globalInterceptor?: boolean | undefined;
  /**
   * Default `auto`: every HTTP request gets a context (so a `track()` in a service below its handler
   * joins the request: its contact, its verdict) when some class of the application injects
   * `SpotzeeTracker`; when none does, only `@EmitsEvent` routes hold events, and every other route runs
   * exactly as without the module (no async context, no guard). `always`: a context for every request
   * even so, for an application that reaches the tracker another way during requests (`ModuleRef.get()`,
   * `app.get()`). The start-up line says which applies and why.
   */
  requestContext?: RequestContextPolicy | undefined;
  /** Default `warn`: non-snake_case names are logged once at start-up; `strict` fails the boot. */
  eventNames?: EventNamePolicy | undefined;
  /** Schemas for `data`, per event name; they apply to decorator events and `track()` alike. */
  schemas?: Record<string, SpotzeeSchema> | undefined;
  /**
   * Where pending events live. Default: memory (lost if the process dies). `new FileEventStore({
   * directory: '.spotzee' })` survives a crash or a SIGKILL on one machine; `RedisEventStore` from
   * `nestjs-spotzee/redis` is shared by replicas and deduplicates explicit keys across them.
   */
  store?: EventQueueStore | undefined;
  /**
   * Default 5000: how long an async mapper, contact resolver or schema may take. One that has not
   * settled by then rejects its event (the contact resolver: no contact ids); the request's commit
   * waits for them at most this long.
   */
  asyncTimeoutMs?: number | undefined;
  /**
   * Default 10,000 events / 8 MiB: what one request may hold until its verdict. Past either bound
   * its new events are dropped (`request_limit`), each reported.
   */
  maxRequestEvents?: number | undefined;
  maxRequestBytes?: number | undefined;
  /**
   * Default `off`. Checks every event against the committed catalogue snapshot (written by
   * `npx nestjs-spotzee catalog`): a name not in it, or a `data` field missing or of another JSON type,
   * is logged once per event name (`warn`) or rejected with reason `not_in_catalog` (`strict`).
   */
  catalog?: CatalogPolicy | undefined;
  /**
   * The snapshot `catalog` checks against: a path (default `spotzee-events.json`, from the working
   * directory) or the parsed file (`import events from './spotzee-events.json' with { type: 'json' }`).
   */
  catalogFile?: string | CatalogSnapshot | undefined;
  /**
   * OpenTelemetry metrics. Default true: recorded into the global meter provider when
   * `@opentelemetry/api` is installed and a provider is registered before the app is created, otherwise
   * off at no cost. `{ meterProvider }` names the provider instead; `false` turns metrics off.
   */
  metrics?: boolean | SpotzeeMetricsOptions | undefined;
}

/** For `SpotzeeModule.forRootAsync({ useClass })`. */
export interface SpotzeeOptionsFactory {
  createSpotzeeOptions(): SpotzeeModuleOptions | Promise<SpotzeeModuleOptions>;
}
