import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { HandlerBinding } from './emits-event.hook.js';
import { requestEventsStorage } from './request-events.context.js';

/**
 * Registered globally by the module: tells the context the listener opened for an HTTP request which
 * handler it reached, so events tracked below the handler get its route as their source and the
 * request's contact through the same `ExecutionContext` as before. A guard, not an interceptor: Nest
 * runs guards with a plain call, where any interceptor builds an rxjs pipeline per request.
 * It never refuses a request.
 */
@Injectable()
export class SpotzeeHandlerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') {
      // Duck-typed: the context may come from the other build of the package.
      const origin = requestEventsStorage.getStore()?.origin as Partial<HandlerBinding> | undefined;
      origin?.reachedHandler?.(context);
    }
    return true;
  }
}
