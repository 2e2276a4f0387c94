import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { requestEventsStorage } from './request-events.context.js';
import { EMITS_EVENT_HOOK_MARK } from './spotzee.constants.js';

/** What the interceptor that opened the request's context offers the hook of a decorated handler. */
export interface EmitsEventObserver {
  observeHandler(context: ExecutionContext, next: CallHandler): Observable<unknown>;
}

/**
 * The method-level interceptor `@EmitsEvent` puts on its handler. Method-level interceptors run
 * inside the global and controller ones, and the explorer moves this one after any other on the
 * method, so it sees the handler's own return value: a global interceptor that wraps results
 * (`{ data }`) cannot change what the mappers receive, whatever the order it was registered in.
 *
 * It holds no state and needs no injection (it works in modules that do not import SpotzeeModule,
 * and across the ESM and CommonJS builds): it hands the call to the interceptor that opened the
 * request's context, found on that context. With no context open (no SpotzeeInterceptor on this
 * route) it stays out of the way.
 */
export const emitsEventHook: NestInterceptor = Object.freeze({
  [EMITS_EVENT_HOOK_MARK]: true,
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const observer = requestEventsStorage.getStore()?.origin as Partial<EmitsEventObserver> | undefined;
    return typeof observer?.observeHandler === 'function' ? observer.observeHandler(context, next) : next.handle();
  },
});

/** True for the hook of either build of the package. */
export function isEmitsEventHook(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[EMITS_EVENT_HOOK_MARK] === true
  );
}
