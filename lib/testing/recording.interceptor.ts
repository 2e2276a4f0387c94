import { Inject, Injectable } from '@nestjs/common';
import type { RequestEventsContext } from '../request-events.context.js';
import { SPOTZEE_RUNTIME, SPOTZEE_SETTINGS } from '../spotzee.constants.js';
import { SpotzeeInterceptor } from '../spotzee.interceptor.js';
import type { SpotzeeSettings } from '../spotzee-settings.factory.js';
import type { SpotzeeRuntime } from '../spotzee.runtime.js';
import { OpenRequests } from './open-requests.js';

type NativeResponse = Parameters<SpotzeeInterceptor['settleOnResponse']>[0];

/**
 * The module's interceptor, unchanged in behaviour, that also tells `OpenRequests` when an HTTP
 * request starts and when its verdict (commit or discard) is reached, so that
 * `SpotzeeRecorder.settled()` can wait for it.
 */
@Injectable()
export class RecordingSpotzeeInterceptor extends SpotzeeInterceptor {
  // Every request in flight is open from its start, held events or not: `settled()` waits for it.
  protected override readonly listensEagerly = true;

  constructor(
    @Inject(SPOTZEE_RUNTIME) runtime: SpotzeeRuntime,
    @Inject(SPOTZEE_SETTINGS) settings: SpotzeeSettings,
    private readonly openRequests: OpenRequests,
  ) {
    super(runtime, settings);
  }

  protected override settleOnResponse(
    response: NativeResponse,
    events: RequestEventsContext,
    sse?: () => boolean,
  ): void {
    this.openRequests.opened(events);
    super.settleOnResponse(response, events, sse);
  }

  protected override settle(events: RequestEventsContext, succeeded: boolean, why: string): void {
    super.settle(events, succeeded, why);
    if (events.state !== 'open') {
      this.openRequests.closed(events);
    }
  }
}
