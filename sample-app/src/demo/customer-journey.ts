import type { ExpectedEvent } from './expected-event.js';

/** One HTTP call of the journey, for the demo's running commentary. */
export interface JourneyStep {
  request: string;
  /** Null for a step that is a service call, not an HTTP request. */
  status: number | null;
  note: string;
}

export interface JourneyHooks {
  /** Runs the renewal job's work "next month"; the demo and the tests call the service directly. */
  renewSubscriptions(asOf: Date): unknown;
  onStep?(step: JourneyStep): void;
}

export interface JourneyResult {
  steps: JourneyStep[];
  /** Exactly what Spotzee should receive, in no particular order. */
  expected: ExpectedEvent[];
}

/** The visitor id a browser SDK would have minted before sign-up. */
export const VISITOR_ANONYMOUS_ID = 'anon_5f2b9c1e';

const GOOD_CARD = '4242424242424242';
const DECLINED_CARD = '4000000000000002';

/**
 * A customer's first month in the shop, over real HTTP: sign up as a known visitor, place two orders
 * (retrying the first one, as a flaky mobile connection would), pay one, fail to pay the other and
 * cancel it, subscribe, and get renewed by the billing job a month later.
 */
export async function runCustomerJourney(shopUrl: string, hooks: JourneyHooks): Promise<JourneyResult> {
  const steps: JourneyStep[] = [];
  const call = async <T>(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string>; expect: number; note: (body: T) => string },
  ): Promise<T> => {
    const response = await fetch(`${shopUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    const body = (text === '' ? undefined : JSON.parse(text)) as T;
    if (response.status !== init.expect) {
      throw new Error(`${method} ${path} answered ${response.status}, expected ${init.expect}: ${text}`);
    }
    const step = { request: `${method} ${path}`, status: response.status, note: init.note(body) };
    steps.push(step);
    hooks.onStep?.(step);
    return body;
  };

  const account = await call<{ id: string; token: string }>('POST', '/accounts', {
    headers: { 'x-anonymous-id': VISITOR_ANONYMOUS_ID },
    body: { email: 'ada@example.com', name: 'Ada Lovelace' },
    expect: 201,
    note: (body) => `signed up as account ${body.id}, visitor ${VISITOR_ANONYMOUS_ID}`,
  });
  const auth = { authorization: `Bearer ${account.token}` };

  const firstOrder = { items: [{ sku: 'mug-001', quantity: 2 }] };
  const first = await call<{ id: string }>('POST', '/orders', {
    headers: { ...auth, 'idempotency-key': 'checkout-1' },
    body: firstOrder,
    expect: 201,
    note: (body) => `placed ${body.id}`,
  });
  await call<{ id: string }>('POST', '/orders', {
    headers: { ...auth, 'idempotency-key': 'checkout-1' },
    body: firstOrder,
    expect: 201,
    note: (body) => `client retry, same Idempotency-Key: got ${body.id} back, its event is deduplicated`,
  });
  const second = await call<{ id: string }>('POST', '/orders', {
    headers: { ...auth, 'idempotency-key': 'checkout-2' },
    body: {
      items: [
        { sku: 'tee-002', quantity: 1 },
        { sku: 'cap-003', quantity: 1 },
      ],
    },
    expect: 201,
    note: (body) => `placed ${body.id}`,
  });
  await call('POST', `/orders/${first.id}/pay`, {
    headers: auth,
    body: { cardNumber: GOOD_CARD },
    expect: 200,
    note: () => `paid ${first.id}`,
  });
  await call('POST', `/orders/${second.id}/pay`, {
    headers: auth,
    body: { cardNumber: DECLINED_CARD },
    expect: 402,
    note: () => `card declined for ${second.id}: the failed request sends no event`,
  });
  await call('POST', `/orders/${second.id}/cancel`, {
    headers: auth,
    body: { reason: 'payment_failed' },
    expect: 200,
    note: () => `cancelled ${second.id}`,
  });
  const subscription = await call<{ id: string; currentPeriodEnd: string }>('POST', '/subscriptions', {
    headers: auth,
    body: { plan: 'pro' },
    expect: 201,
    note: (body) => `subscribed to pro (${body.id})`,
  });

  // Just past the end of the first period, as the hourly job would see it.
  const renewalTime = new Date(Date.parse(subscription.currentPeriodEnd) + 60_000);
  hooks.renewSubscriptions(renewalTime);
  const renewal = {
    request: 'SubscriptionsService.renewDue()',
    status: null,
    note: `renewed ${subscription.id} outside any request`,
  };
  steps.push(renewal);
  hooks.onStep?.(renewal);

  const contact = { externalId: account.id, anonymousId: null };
  return {
    steps,
    expected: [
      { name: 'signed_up', externalId: account.id, anonymousId: VISITOR_ANONYMOUS_ID, data: { method: 'email' } },
      { name: 'order_placed', ...contact, data: { order_id: first.id, total: 29.8, currency: 'EUR' } },
      { name: 'order_placed', ...contact, data: { order_id: second.id, total: 44, currency: 'EUR' } },
      { name: 'order_paid', ...contact, data: { order_id: first.id, amount: 29.8 } },
      { name: 'order_cancelled', ...contact, data: { order_id: second.id, reason: 'payment_failed' } },
      { name: 'subscription_started', ...contact, data: { subscription_id: subscription.id, plan: 'pro' } },
      { name: 'subscription_renewed', ...contact, data: { subscription_id: subscription.id, plan: 'pro', amount: 29 } },
    ],
  };
}
