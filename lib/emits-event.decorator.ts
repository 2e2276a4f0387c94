import { UseInterceptors, type ExecutionContext } from '@nestjs/common';
import { SpotzeeConfigurationError } from './delivery/index.js';
import type { SpotzeeUserBlock } from './delivery/prepare/spotzee-event.js';
import { emitsEventHook, isEmitsEventHook } from './emits-event.hook.js';
import { isSpotzeeSchema, type SpotzeeSchema } from './event-schema.js';
import { EMITS_EVENT_METADATA, NEST_INTERCEPTORS_METADATA } from './spotzee.constants.js';
import { messages } from './spotzee.messages.js';
import type { SpotzeeContact } from './spotzee-module-options.interface.js';

/**
 * How a handler's result becomes an event. Every mapper receives the handler's result (the value
 * the response is built from) and the ExecutionContext.
 */
// `any` by default so unannotated mappers compile; annotate the first parameter to get `TResult` inferred.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface EmitsEventOptions<TResult = any> {
  /** The event's `data`. Default: none (`null`) — the response body is never shipped unless you map it, because it is full of PII. */
  data?: (result: TResult, context: ExecutionContext) => Record<string, unknown> | null | undefined;
  /** Profile fields to upsert with the event (the wire `user` block), e.g. `(user) => ({ email: user.email })`. */
  identify?: (result: TResult, context: ExecutionContext) => SpotzeeUserBlock | null | undefined;
  /** Ids merged over the request's resolved contact; a sign-up route returns the new `externalId` here. */
  contact?: (result: TResult, context: ExecutionContext) => SpotzeeContact | undefined;
  /** A deterministic key (`order_placed:${order.id}`): the same domain event captured twice is sent once. */
  idempotencyKey?: (result: TResult, context: ExecutionContext) => string | null | undefined;
  /** Return false to send nothing for this result. */
  when?: (result: TResult, context: ExecutionContext) => boolean;
  /** Checks `data` before it is queued (overrides the module's `schemas` entry for this name). */
  schema?: SpotzeeSchema;
}

export interface EmitsEventDefinition {
  readonly name: string;
  readonly options: EmitsEventOptions;
}

export const EMITS_EVENT_MAPPERS = ['data', 'identify', 'contact', 'idempotencyKey', 'when'] as const;
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
export function EmitsEvent<TResult = any>(name: string, options: EmitsEventOptions<TResult> = {}): MethodDecorator {
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
