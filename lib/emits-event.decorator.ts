import { UseInterceptors, type ExecutionContext } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { SpotzeeConfigurationError } from './delivery/index.js';
import type { SpotzeeUserBlock } from './delivery/prepare/spotzee-event.js';
import { emitsEventHook, isEmitsEventHook } from './emits-event.hook.js';
import { isSpotzeeSchema, type SpotzeeSchema } from './event-schema.js';
import { EMITS_EVENT_METADATA, NEST_INTERCEPTORS_METADATA } from './spotzee.constants.js';
import type { SpotzeeEventData, SpotzeeEventDataRequired, SpotzeeEventName } from './spotzee-events.js';
import { messages } from './spotzee.messages.js';
import type { SpotzeeContact } from './spotzee-module-options.interface.js';

/** What a mapper may return: a value, or a Promise or Observable of it (awaited within `asyncTimeoutMs`). */
export type MaybeAsync<T> = T | Promise<T> | Observable<T>;

/**
 * How a handler's result becomes an event. Every mapper receives the handler's result (the value
 * the response is built from, after its Promise or Observable) and the ExecutionContext, and may be async:
 * the request's events are committed once every mapper has settled (at most `asyncTimeoutMs`); an async
 * `when` that has not resolved never sends.
 */
// `any` by default so unannotated mappers compile; annotate the first parameter to get `TResult` inferred.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface EmitsEventOptions<TResult = any, TData = Record<string, unknown>> {
  /** The event's `data`. Default: none (`null`) — the response body is never shipped unless you map it, because it is full of PII. */
  data?: (result: TResult, context: ExecutionContext) => MaybeAsync<TData | null | undefined>;
  /** Profile fields to upsert with the event (the wire `user` block), e.g. `(user) => ({ email: user.email })`. */
  identify?: (result: TResult, context: ExecutionContext) => MaybeAsync<SpotzeeUserBlock | null | undefined>;
  /** Ids merged over the request's resolved contact; a sign-up route returns the new `externalId` here. */
  contact?: (result: TResult, context: ExecutionContext) => MaybeAsync<SpotzeeContact | undefined>;
  /** A deterministic key (`order_placed:${order.id}`): the same domain event captured twice is sent once. */
  idempotencyKey?: (result: TResult, context: ExecutionContext) => MaybeAsync<string | null | undefined>;
  /** Return false to send nothing for this result. */
  when?: (result: TResult, context: ExecutionContext) => MaybeAsync<boolean>;
  /** Checks `data` before it is queued (overrides the module's `schemas` entry for this name). */
  schema?: SpotzeeSchema;
}

/**
 * The options of one event name: for an event of the declared catalogue (`SpotzeeEvents`) with
 * required fields, `data` is required and must return the declared shape.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EmitsEventOptionsFor<TName extends string, TResult = any> =
  SpotzeeEventDataRequired<TName> extends true
    ? Omit<EmitsEventOptions<TResult>, 'data'> & {
        data: (result: TResult, context: ExecutionContext) => MaybeAsync<SpotzeeEventData<TName>>;
      }
    : EmitsEventOptions<TResult, SpotzeeEventData<TName>>;

/** What a handler may return for mappers that take `TResult`: the value, or a Promise or Observable of it. */
export type HandlerReturning<TResult> = TResult | PromiseLike<TResult> | Observable<TResult>;

/** Shown by the compiler when the handler's return type does not match the mappers' parameter. */
export interface EmitsEventHandlerMismatch<TResult> {
  '@EmitsEvent: the handler must return what its mappers take (or a Promise or Observable of it)': TResult;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type HandlerCheck<THandler, TResult> = THandler extends (...args: any[]) => HandlerReturning<TResult>
  ? unknown
  : EmitsEventHandlerMismatch<TResult>;

/**
 * The decorator `EmitsEvent()` returns. Applied to a method, it checks that the method returns what
 * the mappers take: `(cat: Cat) => …` on a `Promise<void>` handler is a compile error. The second
 * signature only makes it assignable to `MethodDecorator` (for `applyDecorators()`); a direct
 * application cannot select it, since its `this` is never given.
 */
export interface EmitsEventDecorator<TResult> {
  <THandler>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<THandler> & HandlerCheck<THandler, TResult>,
  ): void;
  <THandler>(
    this: { readonly 'composed by applyDecorators()': true },
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<THandler>,
  ): void;
}

export interface EmitsEventDefinition {
  readonly name: string;
  readonly options: EmitsEventOptions;
}

const EMITS_EVENT_MAPPERS = ['data', 'identify', 'contact', 'idempotencyKey', 'when'] as const;
const KNOWN_OPTIONS: readonly string[] = [...EMITS_EVENT_MAPPERS, 'schema'];

/**
 * Declares that a successful call of this handler emits a Spotzee event. Stack it to emit several.
 * The event is captured when the handler returns and sent only if the request succeeds. Mappers
 * receive the handler's own return value, whatever other interceptors wrap around it: the decorator
 * adds a method-level hook that runs innermost.
 *
 * @example
 * @EmitsEvent('order_placed', {
 *   data: (order: Order) => ({ order_id: order.id, total: order.total }),
 *   identify: (order: Order) => ({ email: order.customer.email }),
 *   idempotencyKey: (order: Order) => `order_placed:${order.id}`,
 * })
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function EmitsEvent<TName extends SpotzeeEventName, TResult = any>(
  name: TName,
  ...options: SpotzeeEventDataRequired<TName> extends true
    ? [options: EmitsEventOptionsFor<TName, TResult>]
    : [options?: EmitsEventOptionsFor<TName, TResult>]
): EmitsEventDecorator<TResult>;
export function EmitsEvent(name: string, options: EmitsEventOptions = {}): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const where = `${(target as { constructor?: { name?: string } }).constructor?.name ?? 'Anonymous'}.${String(propertyKey)}`;
    const problem = findDefinitionProblem(where, name, options);
    if (problem) {
      // Thrown while the class is being defined: the stack trace points at the offending decorator.
      throw new SpotzeeConfigurationError('@EmitsEvent', problem);
    }
    const handler = descriptor.value as object | undefined;
    if (typeof handler !== 'function') {
      throw new SpotzeeConfigurationError('@EmitsEvent', `${where}: @EmitsEvent('${name}') can only decorate methods.`);
    }
    const existing = (Reflect.getMetadata(EMITS_EVENT_METADATA, handler) as EmitsEventDefinition[] | undefined) ?? [];
    // Decorators apply bottom-up; prepending keeps the list in the order they are written.
    const definition: EmitsEventDefinition = Object.freeze({
      name,
      options: Object.freeze({ ...options }) as EmitsEventOptions,
    });
    Reflect.defineMetadata(EMITS_EVENT_METADATA, [definition, ...existing], handler);
    const interceptors = (Reflect.getMetadata(NEST_INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
    if (!interceptors.some(isEmitsEventHook)) {
      // One hook per handler, however many events it declares: it reads the handler's own result.
      UseInterceptors(emitsEventHook)(target, propertyKey, descriptor);
    }
    return descriptor;
  };
}

/** The checks that need nothing but the decorator's arguments; the explorer repeats them at start-up. */
export function findDefinitionProblem(where: string, name: unknown, options: unknown): string | undefined {
  if (typeof name !== 'string' || name.trim().length === 0) {
    return messages.decoratorBadName(where, name);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return messages.decoratorBadOptions(where, name, options);
  }
  for (const [option, value] of Object.entries(options)) {
    if (!KNOWN_OPTIONS.includes(option)) {
      return messages.decoratorUnknownOption(where, name, option, KNOWN_OPTIONS);
    }
    if (value === undefined) {
      continue;
    }
    if (option === 'schema') {
      if (!isSpotzeeSchema(value)) {
        return messages.decoratorBadSchema(where, name);
      }
    } else if (typeof value !== 'function') {
      return messages.decoratorNotFunction(where, name, option, value);
    }
  }
  return undefined;
}
