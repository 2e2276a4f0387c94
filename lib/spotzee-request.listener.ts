import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { requestEventsStorage } from './request-events.context.js';
import type { RequestContexts } from './request-context.policy.js';
import { REQUEST_LISTENER_MARK, SPOTZEE_REQUEST_CONTEXTS } from './spotzee.constants.js';
import { SpotzeeInterceptor, type NativeResponse } from './spotzee.interceptor.js';

type RequestListener = (request: object, response: NativeResponse) => void;

interface NodeServerLike {
  listeners(event: 'request'): RequestListener[];
  removeListener(event: 'request', listener: RequestListener): unknown;
  on(event: 'request', listener: RequestListener): unknown;
  [REQUEST_LISTENER_MARK]?: true;
}

/**
 * Opens every HTTP request's context where the Node server hands the request to Express or Fastify:
 * one `AsyncLocalStorage.run()` and two small objects per request, and nothing else until the
 * request holds an event. The cheapest per-request hook there is: no Nest middleware, no Fastify
 * hook, no interceptor pipeline. (A Nest middleware would also miss Fastify's request object, and an
 * interceptor costs an rxjs pipeline on every route.)
 *
 * Off unless requests need contexts (`requestContext`, `decideRequestContexts`); a server is wrapped
 * once, whichever copy of the package asks.
 */
@Injectable()
export class SpotzeeRequestListener implements OnModuleInit {
  constructor(
    @Inject(SPOTZEE_REQUEST_CONTEXTS) private readonly contexts: RequestContexts,
    private readonly interceptor: SpotzeeInterceptor,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /** After `createNestApplication()`/`NestFactory.create()` made the server, before it listens. */
  onModuleInit(): void {
    if (!this.contexts.enabled) {
      return;
    }
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.() as Partial<NodeServerLike> | undefined;
    if (!server || typeof server.listeners !== 'function' || server[REQUEST_LISTENER_MARK]) {
      return;
    }
    server[REQUEST_LISTENER_MARK] = true;
    const interceptor = this.interceptor;
    for (const listener of server.listeners('request')) {
      // Not `listener.bind`: an Express app is a function whose own `bind` is the HTTP BIND method.
      const call = Function.prototype.bind.call(listener, server) as RequestListener;
      server.removeListener!('request', listener);
      server.on!('request', (request: object, response: NativeResponse) => {
        requestEventsStorage.run(interceptor.openHttpRequest(request, response), call, request, response);
      });
    }
  }
}
