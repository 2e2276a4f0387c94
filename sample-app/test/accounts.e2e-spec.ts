import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ShopUnderTest } from './shop-harness.js';

describe('sample app: POST /accounts', () => {
  let shop: ShopUnderTest;

  beforeEach(async () => {
    shop = await ShopUnderTest.start();
  });

  afterEach(async () => {
    await shop.close();
  });

  it('stitches the visitor to the new account and identifies the email', async () => {
    const response = await shop.request('POST', '/accounts', {
      headers: { 'x-anonymous-id': 'anon_visitor_1' },
      body: { email: 'Grace@Example.com', name: 'Grace Hopper' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ id: '1001', email: 'grace@example.com', token: 'user_1001' });

    const [event] = await shop.settle(1);
    expect(event).toEqual({
      name: 'signed_up',
      external_id: '1001',
      anonymous_id: 'anon_visitor_1',
      data: { method: 'email' },
      user: { email: 'grace@example.com', data: { name: 'Grace Hopper' } },
      created_at: expect.any(String),
    });
    // Both ids in one event on the wire: that is what links the visitor's history to the contact.
    expect(shop.emulator.batches[0]!.body).toContain('"external_id":"1001","anonymous_id":"anon_visitor_1"');
  });

  it('sends only the external id when the visitor had no anonymous id', async () => {
    const account = await shop.signUp('linus@example.com');

    const [event] = await shop.settle(1);
    expect(event!.external_id).toBe(account.id);
    expect(event!.anonymous_id ?? null).toBeNull();
  });

  it('sends nothing for a sign-up that fails (duplicate email, invalid body)', async () => {
    await shop.signUp('ada@example.com', 'anon_first');
    const duplicate = await shop.request('POST', '/accounts', {
      headers: { 'x-anonymous-id': 'anon_duplicate' },
      body: { email: 'ada@example.com', name: 'Ada again' },
    });
    expect(duplicate.status).toBe(409);
    const invalid = await shop.request('POST', '/accounts', {
      headers: { 'x-anonymous-id': 'anon_invalid' },
      body: { email: 'not-an-email', name: '' },
    });
    expect(invalid.status).toBe(400);
    // A later successful sign-up marks the point by which the failed ones would have been sent.
    await shop.signUp('alan@example.com', 'anon_last');

    const events = await shop.settle(2);
    expect(events.map((event) => event.anonymous_id)).toEqual(['anon_first', 'anon_last']);
    expect(shop.tracker.stats()).toMatchObject({ delivered: 2, rejected: 0, pending: 0 });
  });
});
