// The one payload every contender sends, so per-event costs compare like with like: a snake_case
// domain event, a contact id and a small order object. `seq` lets the sink count unique arrivals.

export const EVENT_NAME = 'order_placed';

export function contactId(seq) {
  return `user_${seq % 1000}`;
}

export function orderData(seq) {
  return { order_id: `ord_${seq}`, total: 129.9, currency: 'EUR', items: 3, coupon: null, seq };
}

/** Resolves after pending microtasks (promise-based capture pipelines) have run. */
export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}
