/**
 * Every token and metadata key is a namespaced string or a `Symbol.for` key, never a class or a
 * `Symbol()`: when an app loads both the ESM and the CommonJS build, the two copies must still
 * find each other's providers, decorator metadata and request context.
 */

/** String alias of `SpotzeeTracker`, used by `@InjectSpotzee()`; survives a dual-loaded package. */
export const SPOTZEE_TRACKER = 'spotzee:tracker';

/** The engine and capture path behind the tracker, for the Nest layer (not exported from the package root). */
export const SPOTZEE_RUNTIME = 'spotzee:runtime';

/** The validated, defaulted module settings (options without the extras, plus the Nest-only ones). */
export const SPOTZEE_SETTINGS = 'spotzee:settings';

/** Optional engine seams (transport, queue store, random) for tests and durable stores. */
export const SPOTZEE_DELIVERY_SEAMS = 'spotzee:delivery-seams';

/** The OpenTelemetry meter provider metrics are recorded into, or null (off); resolved once at start-up. */
export const SPOTZEE_METER_PROVIDER = 'spotzee:meter-provider';

/** Where `@EmitsEvent` stores its definitions on the handler function. */
export const EMITS_EVENT_METADATA = 'spotzee:emits-event';

/** The `globalThis` slot of the request-context AsyncLocalStorage, shared by every loaded copy. */
export const REQUEST_CONTEXT_SLOT = Symbol.for('spotzee:request-context');

export const DEFAULT_ANONYMOUS_ID_HEADER = 'x-anonymous-id';

export const SPOTZEE_LOGGER_CONTEXT = 'Spotzee';

/** Marks the `@EmitsEvent` hook interceptor, so that both builds recognise each other's. */
export const EMITS_EVENT_HOOK_MARK = Symbol.for('spotzee:emits-event-hook');

/** Set on a Node HTTP server whose request listener opens request contexts, so it is wrapped once. */
export const REQUEST_LISTENER_MARK = Symbol.for('spotzee:request-listener');

/** Where Nest keeps `@UseInterceptors()` (unchanged since Nest 5; not exported under one path by Nest 11 and 12). */
export const NEST_INTERCEPTORS_METADATA = '__interceptors__';

/** Marks a decorated route's replacement method (holding the original), and the index of the argument it adds. */
export const DECORATED_ROUTE_MARK = Symbol.for('spotzee:decorated-route');

/** Where Nest keeps a handler's parameter decorators (`ROUTE_ARGS_METADATA` in @nestjs/common/constants). */
export const NEST_ROUTE_ARGS_METADATA = '__routeArguments__';

/** Nest's route metadata on a handler (`PATH_METADATA` and `METHOD_METADATA` in @nestjs/common/constants). */
export const NEST_PATH_METADATA = 'path';
export const NEST_METHOD_METADATA = 'method';

/** Where `@Res({ passthrough: true })` records that Nest still sends the response (`RESPONSE_PASSTHROUGH_METADATA`). */
export const NEST_RESPONSE_PASSTHROUGH_METADATA = '__responsePassthrough__';

/**
 * On `SpotzeeTracker` (`'tracker'`) and on the package's own classes that are given the tracker but never
 * track during a request (`'internal'`): read by `decideRequestContexts`, from either build.
 */
export const TRACKER_CLASS_MARK = Symbol.for('spotzee:tracker-class');

/** Whether HTTP requests get a context (`RequestContexts`), decided once from the module graph. */
export const SPOTZEE_REQUEST_CONTEXTS = 'spotzee:request-contexts';
