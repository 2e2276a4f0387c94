import { describe, expect, it } from '@jest/globals';
import { SpotzeeEmulator } from 'nestjs-spotzee/emulator';
import { suiteEmulator } from '../support/suite-emulator.js';
import { post, problemOf, SECRET_KEY, wireEvent } from './emulator-client.js';

describe('SpotzeeEmulator: the POST /events contract', () => {
  const emulator = suiteEmulator();

  it('listens on loopback and exposes the baseUrl the library takes', () => {
    expect(emulator().port).toBeGreaterThan(0);
    expect(emulator().baseUrl).toBe(`http://127.0.0.1:${emulator().port}/api/client`);
    expect(emulator().eventsUrl).toBe(`${emulator().baseUrl}/events`);
    expect(emulator().apiKey).toMatch(/^sk_/);
  });

  it('accepts a bare array with 204, no body, a request id and rate-limit headers, and records it exactly', async () => {
    const events = [
      wireEvent(),
      wireEvent({ name: 'order_cancelled', external_id: null, anonymous_id: 'anon_7', user: undefined }),
    ];
    const body = JSON.stringify(events);
    const response = await post(emulator(), body, { idempotencyKey: 'batch_1' });

    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{24}$/);
    expect(response.headers.get('x-ratelimit-limit')).toBe('25000');
    expect(response.headers.get('x-ratelimit-remaining')).toBe('24999');
    expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    expect(response.headers.get('x-ratelimit-tier')).toBe('enterprise');
    expect(response.headers.get('idempotent-replayed')).toBeNull();

    const requestId = response.headers.get('x-request-id');
    expect(emulator().batches).toHaveLength(1);
    expect(emulator().batches[0]).toMatchObject({
      index: 0,
      idempotencyKey: 'batch_1',
      requestId,
      body,
      bytes: Buffer.byteLength(body),
      apiVersion: '2026-04-28',
    });
    expect(emulator().events.map((received) => received.event)).toEqual(JSON.parse(body));
    expect(emulator().events[1]).toMatchObject({
      idempotencyKey: 'batch_1',
      requestId,
      batchIndex: 0,
      indexInBatch: 1,
    });
    expect(emulator().events[1]!.receivedAt).toBeInstanceOf(Date);
    expect(emulator().eventsNamed('order_cancelled')).toHaveLength(1);
    expect(emulator().eventsNamed('nothing')).toEqual([]);
    expect(emulator().stats()).toMatchObject({
      requests: 1,
      acceptedBatches: 1,
      acceptedEvents: 2,
      statuses: { '204': 1 },
    });
  });

  it('keeps user data keys exactly as sent', async () => {
    await post(emulator(), [wireEvent({ data: { orderId: 'x', 'Mixed Case': 1, nested: { camelCase: true } } })]);
    expect(emulator().events[0]!.event.data).toEqual({ orderId: 'x', 'Mixed Case': 1, nested: { camelCase: true } });
  });

  it('answers errors as problem+json with the documented fields', async () => {
    const response = await post(emulator(), [wireEvent()], { without: ['authorization'] });
    const problem = await problemOf(response);
    expect(response.status).toBe(401);
    expect(problem).toEqual({
      status: 'error',
      code: 'authentication_required',
      title: 'Authentication required',
      message: expect.stringContaining('Authorization: Bearer sk_'),
      type: 'https://docs.spotzee.com/api/errors#authentication_required',
      request_id: response.headers.get('x-request-id'),
    });
  });

  describe('routing', () => {
    it('404s other paths with a hint at the events endpoint', async () => {
      const response = await post(emulator(), [wireEvent()], { path: '/api/client/event' });
      expect(response.status).toBe(404);
      expect((await problemOf(response)).message).toContain('POST /api/client/events');
      expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    });

    it('405s other methods on /events with an Allow header', async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const response = await post(emulator(), [wireEvent()], { method });
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe('POST');
        expect((await problemOf(response)).code).toBe('method_not_allowed');
      }
    });

    it('ignores the query string', async () => {
      const response = await fetch(`${emulator().eventsUrl}?trace=1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify([wireEvent()]),
      });
      expect(response.status).toBe(204);
      expect(emulator().requests[0]!.path).toBe('/api/client/events');
    });
  });

  describe('authentication', () => {
    it.each([
      ['missing', undefined],
      ['not a bearer token', 'Basic c2tfdGVzdDp4'],
      ['an empty bearer token', 'Bearer '],
      ['not a secret key', 'Bearer live_123'],
    ])('401s a %s Authorization header', async (_case, value) => {
      const headers: Record<string, string> = value === undefined ? {} : { authorization: value };
      const response = await post(emulator(), [wireEvent()], { without: ['authorization'], headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect((await problemOf(response)).code).toBe('authentication_required');
      expect(emulator().events).toHaveLength(0);
    });

    it('403s a publishable key, saying a secret key is required', async () => {
      const response = await post(emulator(), [wireEvent()], { key: 'pk_live_abc' });
      expect(response.status).toBe(403);
      const problem = await problemOf(response);
      expect(problem.code).toBe('permission_denied');
      expect(problem.message).toMatch(/secret key \(sk_…\)/);
      expect(JSON.stringify(problem)).not.toContain('pk_live_abc');
    });

    it('accepts only the configured keys when apiKeys is set', async () => {
      const strict = await SpotzeeEmulator.start({ apiKeys: ['sk_only_this'] });
      try {
        expect(strict.apiKey).toBe('sk_only_this');
        expect((await post(strict, [wireEvent()], { key: 'sk_only_this' })).status).toBe(204);
        const refused = await post(strict, [wireEvent()], { key: 'sk_another' });
        expect(refused.status).toBe(401);
        expect(JSON.stringify(await refused.json())).not.toContain('sk_another');
      } finally {
        await strict.stop();
      }
    });
  });

  describe('Spotzee-Version', () => {
    it('is optional', async () => {
      expect((await post(emulator(), [wireEvent()], { without: ['spotzee-version'] })).status).toBe(204);
      expect(emulator().batches[0]!.apiVersion).toBeNull();
    });

    it.each(['2026-4-28', 'latest', '2026-02-30'])(
      '400s a malformed date %p with parameter_invalid_format',
      async (version) => {
        const response = await post(emulator(), [wireEvent()], { headers: { 'spotzee-version': version } });
        expect(response.status).toBe(400);
        expect(await problemOf(response)).toMatchObject({ code: 'parameter_invalid_format', param: 'Spotzee-Version' });
      },
    );

    it('400s an unknown date with version_unsupported', async () => {
      const response = await post(emulator(), [wireEvent()], { headers: { 'spotzee-version': '2019-01-01' } });
      expect(response.status).toBe(400);
      const problem = await problemOf(response);
      expect(problem).toMatchObject({ code: 'version_unsupported', param: 'Spotzee-Version' });
      expect(problem.message).toContain('2026-04-28');
    });

    it('accepts the configured supportedVersions', async () => {
      const older = await SpotzeeEmulator.start({ supportedVersions: ['2025-01-15', '2026-04-28'] });
      try {
        expect((await post(older, [wireEvent()], { headers: { 'spotzee-version': '2025-01-15' } })).status).toBe(204);
      } finally {
        await older.stop();
      }
    });
  });

  describe('Content-Type', () => {
    it('415s a body that is not declared as JSON', async () => {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
        const response = await post(emulator(), [wireEvent()], { headers: { 'content-type': contentType } });
        expect(response.status).toBe(415);
        expect((await problemOf(response)).code).toBe('unsupported_media_type');
      }
      const missing = await fetch(emulator().eventsUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET_KEY}` },
        body: new Uint8Array(Buffer.from(JSON.stringify([wireEvent()]))),
      });
      expect(missing.status).toBe(415);
    });

    it('accepts JSON with a charset parameter', async () => {
      expect(
        (await post(emulator(), [wireEvent()], { headers: { 'content-type': 'application/json; charset=utf-8' } }))
          .status,
      ).toBe(204);
    });
  });

  describe('body shape (400, nothing stored)', () => {
    it.each([
      ['malformed JSON', '[{"name": "x",', 'invalid_json', /not valid JSON/],
      ['an object', JSON.stringify(wireEvent()), 'parameter_invalid_type', /JSON array of 1 to 100 events/],
      [
        'the old { events } envelope',
        JSON.stringify({ events: [wireEvent()] }),
        'parameter_invalid_type',
        /envelope from older guides is not accepted/,
      ],
      ['an empty array', '[]', 'parameter_invalid_length', /empty array/],
      [
        '101 events',
        JSON.stringify(Array.from({ length: 101 }, () => wireEvent())),
        'parameter_invalid_length',
        /at most 100/,
      ],
      ['an empty body', '', 'invalid_json', /not valid JSON/],
    ])('rejects %s', async (_case, body, code, message) => {
      const response = await post(emulator(), body);
      expect(response.status).toBe(400);
      const problem = await problemOf(response);
      expect(problem.code).toBe(code);
      expect(problem.message).toMatch(message);
      expect(emulator().events).toHaveLength(0);
      expect(emulator().stats().clientErrors).toEqual({ [code]: 1 });
    });

    it('accepts exactly 100 events', async () => {
      const response = await post(
        emulator(),
        Array.from({ length: 100 }, (_, i) => wireEvent({ external_id: `u_${i}` })),
      );
      expect(response.status).toBe(204);
      expect(emulator().events).toHaveLength(100);
    });

    it('413s a body over maxBodyBytes', async () => {
      const small = await SpotzeeEmulator.start({ maxBodyBytes: 1024 });
      try {
        const response = await post(small, [wireEvent({ data: { blob: 'x'.repeat(4096) } })]);
        expect(response.status).toBe(413);
        expect((await problemOf(response)).code).toBe('payload_too_large');
        expect(small.events).toHaveLength(0);
        expect(small.requests[0]).toMatchObject({ status: 413, code: 'payload_too_large', body: '' });
        expect((await post(small, [wireEvent()])).status).toBe(204);
      } finally {
        await small.stop();
      }
    });
  });

  describe('item validation (one 422 for all items, nothing stored)', () => {
    it('collects every item error with index-first params and rejects the whole batch', async () => {
      const batch = [
        wireEvent(),
        wireEvent({ name: '' }),
        wireEvent({ external_id: null, anonymous_id: '' }),
        wireEvent({ data: [1, 2], created_at: 'yesterday', event_id: 'e_1' }),
        'not an event',
        wireEvent({ user: { email: 42, nickname: 'ada', data: 'x' } }),
        wireEvent({ name: 7, external_id: 12 }),
        { external_id: 'u' },
      ];
      const response = await post(emulator(), batch);
      expect(response.status).toBe(422);
      const problem = await problemOf(response);
      expect(problem.code).toBe('validation_failed');
      expect(problem.message).toContain('7 of 8 events are invalid');
      expect(problem.errors).toEqual([
        { param: '1.name', code: 'parameter_invalid_empty', message: expect.any(String) },
        {
          param: '2.external_id',
          code: 'parameter_missing',
          message: 'At least one of external_id or anonymous_id must be a non-empty string.',
        },
        { param: '3.event_id', code: 'parameter_unknown', message: expect.stringContaining('event_id') },
        { param: '3.data', code: 'parameter_invalid_type', message: 'data must be an object or null (got an array).' },
        { param: '3.created_at', code: 'parameter_invalid_format', message: expect.stringContaining('ISO-8601') },
        { param: '4', code: 'parameter_invalid_type', message: 'Each event must be a JSON object (got a string).' },
        { param: '5.user.nickname', code: 'parameter_unknown', message: expect.stringContaining('nickname') },
        {
          param: '5.user.email',
          code: 'parameter_invalid_type',
          message: 'email must be a string or null (got a number).',
        },
        { param: '5.user.data', code: 'parameter_invalid_type', message: expect.any(String) },
        { param: '6.name', code: 'parameter_invalid_type', message: 'name must be a string (got a number).' },
        { param: '6.external_id', code: 'parameter_invalid_type', message: expect.any(String) },
        { param: '7.name', code: 'parameter_missing', message: 'name is required.' },
      ]);
      expect(emulator().events).toHaveLength(0);
      expect(emulator().batches).toHaveLength(0);
      expect(emulator().stats().clientErrors).toEqual({ validation_failed: 1 });
      expect(emulator().requests[0]).toMatchObject({ status: 422, code: 'validation_failed', acceptedEvents: 0 });
    });

    it('accepts every valid field combination', async () => {
      const batch = [
        { name: 'visited', anonymous_id: 'anon_1' },
        { name: 'signed_up', external_id: 'u_1', anonymous_id: 'anon_1', data: null, created_at: null },
        { name: 'renewed', external_id: 'u_2', user: {}, created_at: '2026-04-28' },
        {
          name: 'renewed',
          external_id: 'u_3',
          user: {
            email: null,
            phone: '+33600000000',
            timezone: 'Europe/Paris',
            locale: 'fr-FR',
            data: { plan: 'pro' },
          },
          created_at: '2026-04-28T11:30:00+02:00',
        },
        { name: 'x', external_id: 'u_4', anonymous_id: '', created_at: '2026-04-28T09:30Z' },
      ];
      const response = await post(emulator(), batch);
      expect(response.status).toBe(204);
      expect(emulator().events.map((received) => received.event)).toEqual(batch);
    });

    it('rejects a user that is not an object, and names over maxNameLength', async () => {
      const response = await post(emulator(), [wireEvent({ user: null }), wireEvent({ name: 'n'.repeat(256) })]);
      expect(response.status).toBe(422);
      expect(
        (await problemOf(response)).errors.map(
          (error: { param: string; code: string }) => `${error.param}:${error.code}`,
        ),
      ).toEqual(['0.user:parameter_invalid_type', '1.name:parameter_invalid_length']);
    });

    it('rejects created_at values that are not real ISO-8601 instants', async () => {
      for (const createdAt of ['2026-02-30T00:00:00Z', '2026-04-28T09:30:00', '28/04/2026', 1777368600000]) {
        const response = await post(emulator(), [wireEvent({ created_at: createdAt })]);
        expect(response.status).toBe(422);
        expect((await problemOf(response)).errors[0].param).toBe('0.created_at');
      }
    });
  });

  describe('Idempotency-Key header', () => {
    it('400s a key longer than 255 characters', async () => {
      const response = await post(emulator(), [wireEvent()], { idempotencyKey: 'k'.repeat(256) });
      expect(response.status).toBe(400);
      expect(await problemOf(response)).toMatchObject({ code: 'parameter_invalid_length', param: 'Idempotency-Key' });
      expect((await post(emulator(), [wireEvent()], { idempotencyKey: 'k'.repeat(255) })).status).toBe(204);
    });

    it('400s an empty key', async () => {
      const response = await post(emulator(), [wireEvent()], { headers: { 'idempotency-key': '' } });
      expect(response.status).toBe(400);
      expect((await problemOf(response)).param).toBe('Idempotency-Key');
    });
  });

  describe('request records', () => {
    it('records every request, with the Authorization value redacted', async () => {
      await post(emulator(), [wireEvent()], { idempotencyKey: 'k1' });
      await post(emulator(), [wireEvent()], { key: 'pk_live_secretvalue' });
      await post(emulator(), 'nope', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      const [first, second, third] = emulator().requests;
      expect(first).toMatchObject({
        seq: 1,
        method: 'POST',
        path: '/api/client/events',
        idempotencyKey: 'k1',
        status: 204,
        replayed: false,
        acceptedEvents: 1,
        aborted: false,
        body: JSON.stringify([wireEvent()]),
        bodyBytes: Buffer.byteLength(JSON.stringify([wireEvent()])),
      });
      expect(first!.requestId).toMatch(/^req_/);
      expect(first!.durationMs).toBeGreaterThanOrEqual(0);
      expect(first!.headers['authorization']).toBe('Bearer sk_…');
      expect(first!.headers['idempotency-key']).toBe('k1');
      expect(first!.headers['spotzee-version']).toBe('2026-04-28');
      expect(second).toMatchObject({ status: 403, code: 'permission_denied' });
      expect(second!.headers['authorization']).toBe('Bearer pk_…');
      expect(third!.headers['authorization']).toBe('Basic …');
      const everything = JSON.stringify({
        requests: emulator().requests,
        stats: emulator().stats(),
        batches: emulator().batches,
      });
      expect(everything).not.toContain(SECRET_KEY);
      expect(everything).not.toContain('secretvalue');
      expect(everything).not.toContain('dXNlcjpwYXNz');
    });
  });
});
