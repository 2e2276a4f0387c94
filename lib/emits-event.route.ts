import type { ContextType, ExecutionContext, Type } from '@nestjs/common';
import type { EmitsEventDefinition } from './emits-event.decorator.js';
import { requestEventsStorage } from './request-events.context.js';
import {
  DECORATED_ROUTE_MARK,
  NEST_RESPONSE_PASSTHROUGH_METADATA,
  NEST_ROUTE_ARGS_METADATA,
} from './spotzee.constants.js';

type HttpArgumentsHost = ReturnType<ExecutionContext['switchToHttp']>;
type RpcArgumentsHost = ReturnType<ExecutionContext['switchToRpc']>;
type WsArgumentsHost = ReturnType<ExecutionContext['switchToWs']>;

/** A decorated route's own method, as the class declares it. */
export type RouteMethod = (this: unknown, ...args: unknown[]) => unknown;

/** One call of a decorated route: the method, its own arguments, and the request it serves. */
export interface DecoratedRouteCall {
  readonly definitions: readonly EmitsEventDefinition[];
  readonly method: RouteMethod;
  readonly instance: unknown;
  readonly args: unknown[];
  /** The call as an `ExecutionContext` (the platform request and response), for mappers and the contact resolver. */
  readonly context: ExecutionContext;
}

/** What the context open for a request offers a decorated route of its handler. */
export interface DecoratedRouteObserver {
  callDecoratedRoute(call: DecoratedRouteCall): unknown;
}

/** What a decorated route turns to when no context is open for its request. */
export interface DecoratedRouteOpener {
  openDecoratedRoute(call: DecoratedRouteCall): unknown;
}

// `RouteParamtypes.REQUEST`, `RESPONSE` and `NEXT`: arguments no pipe ever sees.
const REQUEST_PARAM = 0;
const RESPONSE_PARAM = 1;
const NEXT_PARAM = 2;

/**
 * Captures a decorated HTTP route without an interceptor: any interceptor, even one that only returns
 * `next.handle()`, costs a route Nest's rxjs pipeline on every request, more than the capture itself.
 * The class's method is replaced by one that calls it and hands its own result (a value, a Promise
 * or an Observable, whatever other interceptors make of it) to the request's context, or opens one.
 *
 * Nest is asked for the platform request and response as extra arguments past the method's own
 * (`@Req()` and `@Res({ passthrough: true })` in the route's parameter metadata, the method's own
 * `@Res()` if it has one; no pipe runs on them), and the method is called with its own arguments only.
 * Everything Nest and other libraries read off the method (route, guards, Swagger) is copied onto
 * the replacement.
 *
 * Replaced once per application (for a class shared by several, each application's routes take the
 * method their own start-up put there); the original is kept, never wrapped twice.
 */
export function wrapDecoratedRoute(
  prototype: Record<string, unknown>,
  name: string,
  definitions: readonly EmitsEventDefinition[],
  opener: DecoratedRouteOpener,
): void {
  const current = prototype[name] as MarkedRoute;
  const method = current[DECORATED_ROUTE_MARK] ?? current;
  const classRef = (prototype as { constructor: Type<unknown> }).constructor;
  const { request: requestIndex, response: responseIndex, own } = appendPlatformArguments(classRef, name, method);

  const route = function (this: unknown, ...args: unknown[]): unknown {
    // Called by anything but Nest's router (a unit test calling the controller): nothing was appended.
    if (args.length <= requestIndex) {
      return method.apply(this, args);
    }
    const context = new RouteContext(args[requestIndex], args[responseIndex], classRef, route);
    args.length = own;
    const call: DecoratedRouteCall = { definitions, method, instance: this, args, context };
    const observer = requestEventsStorage.getStore()?.origin as Partial<DecoratedRouteObserver> | undefined;
    // Duck-typed: the context may come from the other build of the package.
    return typeof observer?.callDecoratedRoute === 'function'
      ? observer.callDecoratedRoute(call)
      : opener.openDecoratedRoute(call);
  } as MarkedRoute;

  for (const key of Reflect.getOwnMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, method), route);
  }
  Object.defineProperty(route, 'name', { value: method.name });
  Object.defineProperty(route, 'length', { value: method.length });
  route[DECORATED_ROUTE_MARK] = method;
  prototype[name] = route;
}

type MarkedRoute = RouteMethod & { [DECORATED_ROUTE_MARK]?: RouteMethod };

type RouteArgs = Record<string, { index: number; data?: unknown }>;

interface PlatformArguments {
  request: number;
  response: number;
  /** How many arguments the method itself takes: those past it are ours. */
  own: number;
}

/**
 * Adds the request and response arguments past every argument the method declares or Nest fills,
 * once per class and method. The method's own `@Res()` is reused; ours is a passthrough one (Nest
 * still sends the response), unless the method takes `@Next()` and so answers by itself anyway.
 * Defined on the class itself: a subclass keeps its parent's arguments.
 */
function appendPlatformArguments(classRef: Type<unknown>, name: string, method: RouteMethod): PlatformArguments {
  const known = Reflect.getOwnMetadata(DECORATED_ROUTE_MARK, classRef, name) as PlatformArguments | undefined;
  if (known) {
    return known;
  }
  const args = (Reflect.getMetadata(NEST_ROUTE_ARGS_METADATA, classRef, name) as RouteArgs | undefined) ?? {};
  const declared = (Reflect.getMetadata('design:paramtypes', classRef.prototype, name) as unknown[] | undefined)
    ?.length;
  let own = Math.max(method.length, declared ?? 0);
  let ownResponse: number | undefined;
  let answersItself = false;
  for (const [key, { index }] of Object.entries(args)) {
    own = Math.max(own, index + 1);
    const type = key.split(':')[0];
    if (type === String(RESPONSE_PARAM)) {
      ownResponse = index;
    }
    answersItself ||= type === String(RESPONSE_PARAM) || type === String(NEXT_PARAM);
  }
  const appended: RouteArgs = { [`${REQUEST_PARAM}:${own}`]: { index: own } };
  const platform: PlatformArguments = { request: own, response: ownResponse ?? own + 1, own };
  if (ownResponse === undefined) {
    appended[`${RESPONSE_PARAM}:${own + 1}`] = { index: own + 1 };
    if (!answersItself) {
      Reflect.defineMetadata(NEST_RESPONSE_PASSTHROUGH_METADATA, true, classRef, name);
    }
  }
  Reflect.defineMetadata(NEST_ROUTE_ARGS_METADATA, { ...args, ...appended }, classRef, name);
  Reflect.defineMetadata(DECORATED_ROUTE_MARK, platform, classRef, name);
  return platform;
}

/**
 * The `ExecutionContext` of a decorated route's call, what an interceptor or guard would have been
 * given: HTTP, the platform request and response, the controller class and the route's method.
 * (`next` is not asked for: taking it tells Nest the method answers by itself.)
 */
class RouteContext implements ExecutionContext, HttpArgumentsHost {
  private readonly args: unknown[];

  constructor(
    request: unknown,
    response: unknown,
    private readonly classRef: Type<unknown>,
    private readonly handler: RouteMethod,
  ) {
    this.args = [request, response];
  }

  getType<TContext extends string = ContextType>(): TContext {
    return 'http' as TContext;
  }

  getClass<T = unknown>(): Type<T> {
    return this.classRef as Type<T>;
  }

  getHandler(): RouteMethod {
    return this.handler;
  }

  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as T;
  }

  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }

  switchToHttp(): HttpArgumentsHost {
    return this;
  }

  switchToRpc(): RpcArgumentsHost {
    return { getData: () => undefined, getContext: () => undefined } as unknown as RpcArgumentsHost;
  }

  switchToWs(): WsArgumentsHost {
    return { getData: () => undefined, getClient: () => undefined, getPattern: () => '' } as unknown as WsArgumentsHost;
  }

  getRequest<T = unknown>(): T {
    return this.args[0] as T;
  }

  getResponse<T = unknown>(): T {
    return this.args[1] as T;
  }

  getNext<T = unknown>(): T {
    return undefined as T;
  }
}
