import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { requestEventsStorage } from './request-events.context.js';
import { EMITS_EVENT_HOOK_MARK } from './spotzee.constants.js';

/** What the context open for a request offers the hook of a decorated handler. */
export interface EmitsEventObserver {
  observeHandler(context: ExecutionContext, next: CallHandler): Observable<unknown>;
}

/** What a context opened before the handler learns when the request reaches it (see the guard). */
export interface HandlerBinding {
  reachedHandler(context: ExecutionContext): void;
}

/** The interceptor a bound hook falls back on when no context is open for its call. */
export interface DecoratedCallOpener {
  interceptDecorated(context: ExecutionContext, next: CallHandler): Observable<unknown>;
}

/**
 * The method-level interceptor `@EmitsEvent` puts on its handler: the only interceptor this package
 * runs on its own, and only on decorated handlers. Method-level interceptors run inside the global
 * and controller ones, and the explorer moves this one after any other on the method, so it sees the
 * handler's own return value: a global interceptor that wraps results (`{ data }`) cannot change what
 * the mappers receive, whatever the order it was registered in.
 *
 * It holds no state and needs no injection (it works in modules that do not import SpotzeeModule,
 * and across the ESM and CommonJS builds): it hands the call to the context open for the request,
 * found in the request-context storage. The explorer replaces it with one bound to the module's
 * interceptor (`bindEmitsEventHook`), which opens a context for a call that has none (a microservice
 * message, a GraphQL resolver outside HTTP). Unbound and with no context open
 * (`globalInterceptor: false` without `@UseInterceptors(SpotzeeInterceptor)`) it stays out of the way.
 */
export const emitsEventHook: NestInterceptor = createHook(undefined);

/** The hook of an application whose module opens request contexts: calls with none get one. */
export function bindEmitsEventHook(opener: DecoratedCallOpener): NestInterceptor {
  return createHook(opener);
}

function createHook(opener: DecoratedCallOpener | undefined): NestInterceptor {
  return Object.freeze({
    [EMITS_EVENT_HOOK_MARK]: true,
    intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
      const observer = requestEventsStorage.getStore()?.origin as Partial<EmitsEventObserver> | undefined;
      if (typeof observer?.observeHandler === 'function') {
        return observer.observeHandler(context, next);
      }
      return opener ? opener.interceptDecorated(context, next) : next.handle();
    },
  });
}

/** True for the hook of either build of the package, bound or not. */
export function isEmitsEventHook(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[EMITS_EVENT_HOOK_MARK] === true
  );
}
