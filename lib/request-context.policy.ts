import type { ModulesContainer } from '@nestjs/core';
import { SPOTZEE_TRACKER, TRACKER_CLASS_MARK } from './spotzee.constants.js';
import type { SpotzeeSettings } from './spotzee-settings.factory.js';

/** Whether HTTP requests get a context that `track()` calls below their handler join, and why. */
export interface RequestContexts {
  readonly enabled: boolean;
  /** For the start-up line: `on (OrdersService and 2 more inject SpotzeeTracker)`. */
  readonly reason: string;
}

/** What Nest keeps per class in a module (`InstanceWrapper`), as far as reading dependencies goes. */
interface WrapperLike {
  readonly metatype?: unknown;
  readonly inject?: readonly unknown[] | null;
  readonly name?: unknown;
}

interface ModuleLike {
  readonly metatype?: unknown;
  readonly providers?: Map<unknown, WrapperLike>;
  readonly controllers?: Map<unknown, WrapperLike>;
  readonly injectables?: Map<unknown, WrapperLike>;
}

/**
 * A request context costs every request of the process something: on Node 20 an async hook runs for
 * each Promise and tick once any `AsyncLocalStorage` is in use, about a fifth of a small Fastify
 * route. It is only needed for `track()` calls made while a request is handled, and those need the
 * tracker, which Nest hands out by injection: so under `auto` contexts are opened when a class of the
 * application (a provider, controller, guard, interceptor or pipe) injects `SpotzeeTracker`, read off
 * the module graph before anything is instantiated. `@EmitsEvent` routes hold their events either way.
 */
export function decideRequestContexts(
  settings: SpotzeeSettings,
  modules: ModulesContainer | undefined,
): RequestContexts {
  if (!settings.globalInterceptor) {
    return { enabled: false, reason: 'off (globalInterceptor: false)' };
  }
  if (settings.requestContext === 'always') {
    return { enabled: true, reason: "on (requestContext: 'always')" };
  }
  if (modules === undefined) {
    return { enabled: true, reason: 'on (the module graph could not be read)' };
  }
  const users = findTrackerUsers(modules);
  if (users.length === 0) {
    return {
      enabled: false,
      reason:
        "only @EmitsEvent routes (no class injects SpotzeeTracker; requestContext: 'always' opens one for every request)",
    };
  }
  const more = users.length > 1 ? ` and ${users.length - 1} more` : '';
  return { enabled: true, reason: `on (${users[0]}${more} inject${users.length > 1 ? '' : 's'} SpotzeeTracker)` };
}

/** The classes and factories of the application that are given the tracker, by name. */
function findTrackerUsers(modules: ModulesContainer): string[] {
  const users = new Set<string>();
  for (const module of modules.values() as Iterable<ModuleLike>) {
    if (isMarked(module.metatype)) {
      continue;
    }
    for (const wrappers of [module.providers, module.controllers, module.injectables]) {
      for (const wrapper of wrappers?.values() ?? []) {
        if (dependencies(wrapper).some(isTracker)) {
          users.add(describeWrapper(wrapper));
        }
      }
    }
  }
  return [...users];
}

function dependencies(wrapper: WrapperLike): unknown[] {
  if (isMarked(wrapper.metatype)) {
    return [];
  }
  if (wrapper.inject) {
    // A factory provider: `inject: [SpotzeeTracker]` or `{ token, optional }`.
    return wrapper.inject.map((entry) =>
      typeof entry === 'object' && entry !== null && 'token' in entry ? (entry as { token: unknown }).token : entry,
    );
  }
  const metatype = wrapper.metatype;
  if (typeof metatype !== 'function') {
    return [];
  }
  // Constructor parameters by type, overridden by `@Inject(token)`, then `@Inject()` properties.
  const params = [...((Reflect.getMetadata('design:paramtypes', metatype) as unknown[] | undefined) ?? [])];
  for (const { index, param } of (Reflect.getMetadata('self:paramtypes', metatype) as
    Array<{ index: number; param: unknown }> | undefined) ?? []) {
    params[index] = param;
  }
  for (const { type } of (Reflect.getMetadata('self:properties_metadata', metatype) as
    Array<{ type: unknown }> | undefined) ?? []) {
    params.push(type);
  }
  return params;
}

/** The tracker's class (from either build of the package), its string token, or a `forwardRef` to one. */
function isTracker(token: unknown): boolean {
  if (token === SPOTZEE_TRACKER) {
    return true;
  }
  if (
    typeof token === 'object' &&
    token !== null &&
    typeof (token as { forwardRef?: unknown }).forwardRef === 'function'
  ) {
    try {
      return isTracker((token as { forwardRef: () => unknown }).forwardRef());
    } catch {
      return false;
    }
  }
  return typeof token === 'function' && (token as { [TRACKER_CLASS_MARK]?: unknown })[TRACKER_CLASS_MARK] === 'tracker';
}

function isMarked(value: unknown): boolean {
  return typeof value === 'function' && (value as { [TRACKER_CLASS_MARK]?: unknown })[TRACKER_CLASS_MARK] !== undefined;
}

function describeWrapper(wrapper: WrapperLike): string {
  const metatype = wrapper.metatype as { name?: unknown } | undefined;
  const name = typeof metatype?.name === 'string' && metatype.name !== 'useFactory' ? metatype.name : wrapper.name;
  return typeof name === 'string' ? name : String(name);
}
