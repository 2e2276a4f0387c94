import { Injectable, Module, type MiddlewareConsumer, type NestMiddleware, type NestModule } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Counts responses that are completely done server-side. In one process a client can read a response
 * before the server's `finish` listeners (where request events are committed) have run, so tests wait
 * for `allClosed()` before they flush, instead of guessing with sleeps.
 */
export const responseProbe = {
  opened: 0,
  closed: 0,
  /** An arrow, so it can be handed to `eventually` as it is. */
  allClosed: (): boolean => responseProbe.opened === responseProbe.closed,
};

@Injectable()
export class ResponseProbeMiddleware implements NestMiddleware {
  use(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
    responseProbe.opened += 1;
    // 'close' follows 'finish'; setImmediate lets every other 'close' listener (the interceptor's) run first.
    response.once('close', () => setImmediate(() => (responseProbe.closed += 1)));
    next();
  }
}

/** Import it into a test app to count every response, whatever module its route belongs to. */
@Module({ providers: [ResponseProbeMiddleware] })
export class ResponseProbeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ResponseProbeMiddleware).forRoutes('*path');
  }
}
