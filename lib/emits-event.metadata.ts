import type { EmitsEventDefinition } from './emits-event.decorator.js';
import { EMITS_EVENT_METADATA } from './spotzee.constants.js';

const NONE: readonly EmitsEventDefinition[] = Object.freeze([]);
/** Decorators run once, at class definition: a handler's definitions never change, so one cache serves all. */
const cache = new WeakMap<object, readonly EmitsEventDefinition[]>();

/** The `@EmitsEvent` definitions on a handler, none for anything else. Cached: the interceptor asks per request. */
export function emitsEventDefinitions(handler: object | undefined): readonly EmitsEventDefinition[] {
  if (typeof handler !== 'function') {
    return NONE;
  }
  let definitions = cache.get(handler);
  if (!definitions) {
    definitions = (Reflect.getMetadata(EMITS_EVENT_METADATA, handler) as EmitsEventDefinition[] | undefined) ?? NONE;
    cache.set(handler, definitions);
  }
  return definitions;
}
