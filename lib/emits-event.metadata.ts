import { Injectable } from '@nestjs/common';
import type { EmitsEventDefinition } from './emits-event.decorator.js';
import { EMITS_EVENT_METADATA } from './spotzee.constants.js';

const NONE: readonly EmitsEventDefinition[] = Object.freeze([]);

/** Reads `@EmitsEvent` definitions off handlers. Cached: the interceptor asks on every request. */
@Injectable()
export class EmitsEventMetadataAccessor {
  private readonly cache = new WeakMap<object, readonly EmitsEventDefinition[]>();

  getDefinitions(handler: object | undefined): readonly EmitsEventDefinition[] {
    if (typeof handler !== 'function') {
      return NONE;
    }
    let definitions = this.cache.get(handler);
    if (!definitions) {
      definitions = (Reflect.getMetadata(EMITS_EVENT_METADATA, handler) as EmitsEventDefinition[] | undefined) ?? NONE;
      this.cache.set(handler, definitions);
    }
    return definitions;
  }
}
