import type { SpotzeeWireEvent } from '../delivery/prepare/spotzee-event.js';

/** One event the app committed, as the recorder keeps it. */
export interface RecordedEvent {
  /** The wire event, parsed from exactly the JSON that would have been sent to Spotzee. */
  readonly event: SpotzeeWireEvent;
  /** That JSON, byte for byte. */
  readonly json: string;
  /** The per-event key given by a mapper or `track()`; it is not a wire field, so it is kept beside it. */
  readonly idempotencyKey: string | null;
  /** Where it was captured: `POST /orders`, `OrdersResolver.placeOrder`, `SpotzeeTracker.track()`. */
  readonly source: string | undefined;
}
