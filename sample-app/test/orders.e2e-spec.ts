import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ShopUnderTest } from './shop-harness.js';

describe('sample app: /orders', () => {
  let shop: ShopUnderTest;
  let customer: { id: string; auth: Record<string, string> };

  beforeEach(async () => {
    shop = await ShopUnderTest.start();
    customer = await shop.signUp('ada@example.com');
  });

  afterEach(async () => {
    await shop.close();
  });

  it('sends order_placed for the signed-in customer, with data and identify taken from the response', async () => {
    const response = await shop.request('POST', '/orders', {
      headers: customer.auth,
      body: {
        items: [
          { sku: 'mug-001', quantity: 2 },
          { sku: 'bag-004', quantity: 1 },
        ],
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ id: 'ord_1', totalCents: 4180, status: 'placed' });

    await shop.settle(2);
    expect(shop.wireEventsNamed('order_placed')).toEqual([
      {
        name: 'order_placed',
        external_id: customer.id,
        data: { order_id: 'ord_1', total: 41.8, currency: 'EUR', items: 3, skus: ['mug-001', 'bag-004'] },
        user: { email: 'ada@example.com' },
        created_at: expect.any(String),
      },
    ]);
    const request = shop.emulator.requests.find((record) => record.body.includes('"order_placed"'));
    expect(request?.idempotencyKey).toEqual(expect.any(String));
  });

  it('sends one order_placed when the client retries with the same Idempotency-Key', async () => {
    const order = { items: [{ sku: 'tee-002', quantity: 1 }] };
    const headers = { ...customer.auth, 'idempotency-key': 'checkout-42' };
    // The README's `on('dropped', alert)`: a client retry must never page anyone.
    const alerts: string[] = [];
    const unsubscribe = shop.tracker.on('dropped', (o) => alerts.push(`${o.event.name} dropped: ${o.reason}`));
    const first = await shop.request('POST', '/orders', { headers, body: order });
    const retry = await shop.request('POST', '/orders', { headers, body: order });
    expect(retry.body.id).toBe(first.body.id);
    // A different checkout is a different order: the marker that the retry has been processed.
    await shop.request('POST', '/orders', {
      headers: { ...customer.auth, 'idempotency-key': 'checkout-43' },
      body: order,
    });

    await shop.settle(3);
    expect(shop.wireEventsNamed('order_placed').map((event) => event.data?.order_id)).toEqual(['ord_1', 'ord_2']);
    expect(shop.tracker.stats()).toMatchObject({ deduplicated: 1, dropped: 0, pending: 0, rejected: 0 });
    unsubscribe();
    expect(alerts).toEqual([]);
  });

  it('sends nothing for a declined payment, then order_cancelled for the cancellation', async () => {
    const order = await shop.request('POST', '/orders', {
      headers: customer.auth,
      body: { items: [{ sku: 'cap-003', quantity: 1 }] },
    });

    const declined = await shop.request('POST', `/orders/${order.body.id}/pay`, {
      headers: customer.auth,
      body: { cardNumber: '4000000000000002' },
    });
    expect(declined.status).toBe(402);
    expect(declined.body).toMatchObject({ code: 'card_declined' });
    const cancelled = await shop.request('POST', `/orders/${order.body.id}/cancel`, {
      headers: customer.auth,
      body: { reason: 'payment_failed' },
    });
    expect(cancelled.status).toBe(200);

    const events = await shop.settle(3);
    expect(events.map((event) => event.name)).toEqual(['signed_up', 'order_placed', 'order_cancelled']);
    expect(shop.wireEventsNamed('order_cancelled')[0]).toMatchObject({
      external_id: customer.id,
      data: { order_id: order.body.id, reason: 'payment_failed' },
    });
  });

  it('sends order_paid for an approved payment', async () => {
    const order = await shop.request('POST', '/orders', {
      headers: customer.auth,
      body: { items: [{ sku: 'mug-001', quantity: 1 }] },
    });
    const paid = await shop.request('POST', `/orders/${order.body.id}/pay`, {
      headers: customer.auth,
      body: { cardNumber: '4242424242424242' },
    });
    expect(paid.status).toBe(200);

    await shop.settle(3);
    expect(shop.wireEventsNamed('order_paid')).toEqual([
      {
        name: 'order_paid',
        external_id: customer.id,
        data: { order_id: order.body.id, amount: 14.9, currency: 'EUR' },
        created_at: expect.any(String),
      },
    ]);
  });

  it('sends nothing for unauthenticated or invalid orders', async () => {
    const anonymous = await shop.request('POST', '/orders', { body: { items: [{ sku: 'mug-001', quantity: 1 }] } });
    expect(anonymous.status).toBe(401);
    const unknownSku = await shop.request('POST', '/orders', {
      headers: customer.auth,
      body: { items: [{ sku: 'nope', quantity: 1 }] },
    });
    expect(unknownSku.status).toBe(400);
    const noItems = await shop.request('POST', '/orders', { headers: customer.auth, body: { items: [] } });
    expect(noItems.status).toBe(400);
    await shop.request('POST', '/orders', {
      headers: customer.auth,
      body: { items: [{ sku: 'bag-004', quantity: 1 }] },
    });

    const events = await shop.settle(2);
    expect(events.map((event) => event.name)).toEqual(['signed_up', 'order_placed']);
    expect(shop.wireEventsNamed('order_placed')[0]!.data).toMatchObject({ skus: ['bag-004'] });
  });
});
