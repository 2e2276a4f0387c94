import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { findNamePitfalls, isSnakeCase } from './catalog/event-name-pitfalls.js';
import { SpotzeeConfigurationError } from './delivery/index.js';
import { findDefinitionProblem, type EmitsEventDefinition } from './emits-event.decorator.js';
import { bindEmitsEventHook, isEmitsEventHook } from './emits-event.hook.js';
import { emitsEventDefinitions } from './emits-event.metadata.js';
import { wrapDecoratedRoute } from './emits-event.route.js';
import { isDtoClass, loadClassValidation } from './event-schema.js';
import {
  NEST_INTERCEPTORS_METADATA,
  NEST_METHOD_METADATA,
  NEST_PATH_METADATA,
  SPOTZEE_SETTINGS,
} from './spotzee.constants.js';
import { messages } from './spotzee.messages.js';
import type { SpotzeeSettings } from './spotzee-settings.factory.js';
import { describeStartup } from './spotzee-startup.js';
import { SpotzeeInterceptor } from './spotzee.interceptor.js';
import { SpotzeeRuntime } from './spotzee.runtime.js';

/** A handler carrying `@EmitsEvent`, found at start-up. */
export interface DiscoveredEmitter {
  /** `OrdersController.create` */
  readonly where: string;
  readonly definitions: readonly EmitsEventDefinition[];
}

/** A controller method Nest serves over HTTP (`@Get()`, `@Post()`, …), as opposed to a message or resolver. */
function isHttpRoute(handler: object): boolean {
  return Reflect.hasOwnMetadata(NEST_PATH_METADATA, handler) && Reflect.hasOwnMetadata(NEST_METHOD_METADATA, handler);
}

/** Method metadata of handlers that run interceptors although their class is a provider. */
const PROVIDER_HANDLER_METADATA = ['graphql:resolver_type', '__isMessageMapping'];

/**
 * Checks every `@EmitsEvent` in the application at start-up, so that a bad name, a misplaced
 * decorator or a missing optional peer fails the boot (naming the class, the method and the fix)
 * instead of silently losing events in production.
 */
@Injectable()
export class SpotzeeExplorer implements OnModuleInit, OnApplicationBootstrap {
  private decoratedHandlers = 0;

  constructor(
    protected readonly discovery: DiscoveryService,
    protected readonly scanner: MetadataScanner,
    @Inject(SPOTZEE_SETTINGS) protected readonly settings: SpotzeeSettings,
    protected readonly runtime: SpotzeeRuntime,
    @Optional() protected readonly interceptor?: SpotzeeInterceptor,
  ) {
    if (typeof (scanner as Partial<MetadataScanner>).getAllMethodNames !== 'function') {
      throw new SpotzeeConfigurationError('@nestjs/core', messages.nestTooOld());
    }
    // Here, not in onModuleInit: Nest builds each route's interceptor chain before any init hook runs.
    this.placeHooksInnermost();
  }

  /**
   * Unless `globalInterceptor: false`, a decorated HTTP route loses its `@EmitsEvent` hook and is
   * captured by its method instead (`wrapDecoratedRoute`): no interceptor, no rxjs pipeline per
   * request. Every other decorated handler (a microservice message, a GraphQL resolver, any handler
   * under `globalInterceptor: false`) keeps the hook, made the last method-level interceptor so it
   * runs innermost even under a `@UseInterceptors(…)` written above the decorator: mappers then see
   * the handler's own result, never what another interceptor made of it. Unless
   * `globalInterceptor: false`, the hook is bound to this module's interceptor, so a call with no
   * request context gets its own.
   */
  protected placeHooksInnermost(): void {
    const seen = new Set<object>();
    const interceptor = this.settings.globalInterceptor ? this.interceptor : undefined;
    const bound = interceptor ? bindEmitsEventHook(interceptor) : undefined;
    const place = (prototype: object | undefined, kind: 'controller' | 'provider'): void => {
      if (!prototype || prototype === Object.prototype || seen.has(prototype)) {
        return;
      }
      seen.add(prototype);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[method];
        const definitions = typeof handler === 'function' ? emitsEventDefinitions(handler) : [];
        if (definitions.length === 0) {
          continue;
        }
        const interceptors = Reflect.getMetadata(NEST_INTERCEPTORS_METADATA, handler as object) as
          unknown[] | undefined;
        const hook = interceptors?.findIndex(isEmitsEventHook) ?? -1;
        if (interceptor && kind === 'controller' && isHttpRoute(handler as object)) {
          if (interceptors && hook >= 0) {
            const others = interceptors.filter((entry) => !isEmitsEventHook(entry));
            Reflect.defineMetadata(NEST_INTERCEPTORS_METADATA, others, handler as object);
          }
          wrapDecoratedRoute(prototype as Record<string, unknown>, method, definitions, interceptor);
          continue;
        }
        if (interceptors && hook >= 0 && (bound !== undefined || hook < interceptors.length - 1)) {
          const others = interceptors.filter((interceptor) => !isEmitsEventHook(interceptor));
          Reflect.defineMetadata(
            NEST_INTERCEPTORS_METADATA,
            [...others, bound ?? interceptors[hook]],
            handler as object,
          );
        }
      }
    };
    for (const wrapper of this.discovery.getControllers()) {
      place((wrapper.metatype as { prototype?: object } | null)?.prototype, 'controller');
    }
    for (const wrapper of this.discovery.getProviders()) {
      // Class providers have their class; factory providers only an instance, once built.
      const instance: unknown = wrapper.instance;
      if (!wrapper.inject && typeof wrapper.metatype === 'function') {
        place((wrapper.metatype as { prototype?: object }).prototype, 'provider');
      } else if (typeof instance === 'object' && instance !== null) {
        place(Object.getPrototypeOf(instance) as object, 'provider');
      }
    }
  }

  async onModuleInit(): Promise<void> {
    const emitters = this.explore();
    this.decoratedHandlers = emitters.length;
    this.checkNames(emitters);
    this.checkNamePitfalls(emitters);
    await this.preloadSchemas(emitters);
  }

  /** One line that says where events go, then the set-ups that would lose or misdirect them. */
  onApplicationBootstrap(): void {
    const { startupLine, startupWarnings } = describeStartup(
      this.runtime.engine.options,
      this.decoratedHandlers,
      this.runtime.storeName,
      this.runtime.requestContexts.reason,
    );
    this.runtime.logger.log(startupLine);
    for (const warning of startupWarnings) {
      this.runtime.warnOnce(`startup:${warning}`, warning);
    }
  }

  /** Finds every decorated handler and fails on definitions that can never work. */
  explore(): DiscoveredEmitter[] {
    const problems: string[] = [];
    const emitters: DiscoveredEmitter[] = [];
    const seen = new Set<object>();
    const visit = (prototype: object | undefined, className: string, kind: 'controller' | 'provider'): void => {
      if (!prototype || seen.has(prototype)) {
        return;
      }
      seen.add(prototype);
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[method];
        const definitions = emitsEventDefinitions(handler as object);
        if (definitions.length === 0) {
          continue;
        }
        const where = `${className}.${method}`;
        for (const { name, options } of definitions) {
          const problem = findDefinitionProblem(where, name, options);
          if (problem) {
            problems.push(problem);
          } else if (name.length > this.settings.maxNameLength) {
            problems.push(messages.decoratorNameTooLong(where, name, this.settings.maxNameLength));
          }
        }
        if (
          kind === 'provider' &&
          !PROVIDER_HANDLER_METADATA.some((key) => Reflect.hasMetadata(key, handler as object))
        ) {
          this.runtime.warnOnce(`misplaced:${where}`, messages.decoratorMisplaced(where, definitions[0]!.name));
        }
        emitters.push({ where, definitions });
      }
    };

    for (const wrapper of this.discovery.getControllers()) {
      const metatype = wrapper.metatype as { prototype?: object; name?: string } | null;
      visit(metatype?.prototype, metatype?.name ?? String(wrapper.name), 'controller');
    }
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null) {
        continue;
      }
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (prototype && prototype !== Object.prototype) {
        visit(prototype, instance.constructor?.name ?? String(wrapper.name), 'provider');
      }
    }
    if (problems.length > 0) {
      throw new SpotzeeConfigurationError('@EmitsEvent', problems.join('\n'));
    }
    return emitters;
  }

  /** Non-snake_case names: one warning per name, or a boot failure under `eventNames: 'strict'`. */
  protected checkNames(emitters: readonly DiscoveredEmitter[]): void {
    if (this.settings.eventNames === 'off') {
      return;
    }
    const offenders = new Map<string, string[]>();
    for (const { where, definitions } of emitters) {
      for (const { name } of definitions) {
        if (!isSnakeCase(name)) {
          offenders.set(name, [...(offenders.get(name) ?? []), where]);
        }
      }
    }
    if (offenders.size === 0) {
      return;
    }
    if (this.settings.eventNames === 'strict') {
      const lines = [...offenders].map(([name, where]) => messages.nameNotSnakeCaseStrict(name, where));
      throw new SpotzeeConfigurationError('eventNames', lines.join('\n'));
    }
    for (const [name, where] of offenders) {
      this.runtime.warnOnce(`name:${name}`, messages.nameNotSnakeCase(name, where));
    }
  }

  /**
   * The naming pitfalls of Spotzee's guide, once at start-up: page-view names, and names that differ
   * only by case or separators across the decorators, the `schemas` option and the catalogue snapshot.
   */
  protected checkNamePitfalls(emitters: readonly DiscoveredEmitter[]): void {
    if (this.settings.eventNames === 'off') {
      return;
    }
    const uses = new Map<string, string[]>();
    const use = (name: string, where: string) => uses.set(name, [...(uses.get(name) ?? []), where]);
    for (const { where, definitions } of emitters) {
      for (const { name } of definitions) use(name, where);
    }
    for (const name of this.settings.schemas.keys()) use(name, `schemas.${name}`);
    for (const name of this.settings.catalog?.names() ?? []) use(name, 'spotzee-events.json');
    for (const warning of findNamePitfalls(uses)) {
      this.runtime.warnOnce(`pitfall:${warning}`, warning);
    }
  }

  /**
   * class-validator is an optional peer loaded on demand; loading it here makes DTO validation
   * synchronous on the request path and turns a missing install into a boot error.
   */
  protected async preloadSchemas(emitters: readonly DiscoveredEmitter[]): Promise<void> {
    const users: string[] = [];
    for (const { where, definitions } of emitters) {
      for (const { name, options } of definitions) {
        if (isDtoClass(options.schema)) {
          users.push(`${where} (${name})`);
        }
      }
    }
    for (const [name, schema] of this.settings.schemas) {
      if (isDtoClass(schema)) {
        users.push(`schemas.${name}`);
      }
    }
    if (users.length === 0) {
      return;
    }
    try {
      await loadClassValidation();
    } catch (error) {
      throw new SpotzeeConfigurationError(
        'schema',
        messages.classValidatorMissing(users, error instanceof Error ? error.message : String(error)),
      );
    }
  }
}
