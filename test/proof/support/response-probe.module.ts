import { Injectable, Module, type MiddlewareConsumer, type NestMiddleware, type NestModule } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Counts responses that are completely done server-side. In one process a client can read a response
 * before the server's `finish` listeners (where request events are committed) have run, so tests wait
 * for `opened === closed` before they flush, instead of guessing with sleeps.
 */
export const responseProbe = {
  opened: 0,
  closed: 0,
  allClosed(): boolean {
    return this.opened === this.closed;
  },
};

@Injectable()
export class ResponseProbeMiddleware implements NestMiddleware {
  use(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
    responseProbe.opened += 1;
    // 'close' follows 'finish'; setImmediate lets the interceptor's own 'close' listener run first.
    response.once('close', () => setImmediate(() => (responseProbe.closed += 1)));
    next();
  }
}

@Module({ providers: [ResponseProbeMiddleware] })
export class ResponseProbeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ResponseProbeMiddleware).forRoutes('*path');
  }
}
