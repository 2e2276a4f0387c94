import { describe, expect, it } from '@jest/globals';
import { prepareEvent } from '../../lib/delivery/index.js';
import type { PrepareResult, TrackInput } from '../../lib/delivery/index.js';

const LIMITS = { maxNameLength: 40, maxEventBytes: 2048 };
const NOW = Date.parse('2026-04-28T09:30:00.123Z');

function prepare(input: Partial<TrackInput>): PrepareResult {
  return prepareEvent(
    { name: 'order_placed', externalId: 'user_1', source: 'POST /orders', ...input } as TrackInput,
    LIMITS,
    NOW,
  );
}

function rejection(input: Partial<TrackInput>) {
  const result = prepare(input);
  if (result.ok) throw new Error(`expected a rejection, got ${result.event.json}`);
  return result.rejection;
}

class Money {
  constructor(readonly amount: number) {}
}

describe('prepareEvent', () => {
  it('serialises once, in a fixed field order, with created_at stamped at capture', () => {
    const result = prepare({
      anonymousId: 'anon_9',
      data: { total: 42.5, camelCase: true, nested: { When: new Date(NOW) } },
      identify: { email: 'a@example.com', locale: 'fr-FR', data: { plan: 'pro' } },
      idempotencyKey: 'order_placed:ord_42',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { event } = result;
    expect(event.json).toBe(
      '{"name":"order_placed","external_id":"user_1","anonymous_id":"anon_9",' +
        '"data":{"total":42.5,"camelCase":true,"nested":{"When":"2026-04-28T09:30:00.123Z"}},' +
        '"user":{"email":"a@example.com","locale":"fr-FR","data":{"plan":"pro"}},"created_at":"2026-04-28T09:30:00.123Z"}',
    );
    expect(event.bytes).toBe(Buffer.byteLength(event.json));
    expect(event.createdAt).toBe('2026-04-28T09:30:00.123Z');
    expect(event.idempotencyKey).toBe('order_placed:ord_42');
    expect(event.id).toMatch(/^evt_[A-Za-z0-9_-]+$/);
    expect(event.source).toBe('POST /orders');
  });

  it('omits absent ids, data and user, and sends only wire fields (never source)', () => {
    const result = prepare({ externalId: null, anonymousId: 'anon_1', data: null, identify: {} });
    expect(result.ok && JSON.parse(result.event.json)).toEqual({
      name: 'order_placed',
      anonymous_id: 'anon_1',
      created_at: '2026-04-28T09:30:00.123Z',
    });
  });

  it('sends finite numeric ids as strings', () => {
    const result = prepare({ externalId: 42, anonymousId: 7n as never });
    expect(result.ok && JSON.parse(result.event.json)).toMatchObject({ external_id: '42', anonymous_id: '7' });
    expect(result.ok && result.event.externalId).toBe('42');
  });

  it('mints distinct ids', () => {
    const ids = new Set(
      Array.from({ length: 1000 }, () => (prepare({}) as { ok: true; event: { id: string } }).event.id),
    );
    expect(ids.size).toBe(1000);
  });

  it('measures bytes in UTF-8', () => {
    const result = prepare({ data: { city: 'Zürich 東京' } });
    expect(result.ok && result.event.bytes).toBe(Buffer.byteLength(result.ok ? result.event.json : '', 'utf8'));
    expect(result.ok && result.event.bytes).toBeGreaterThan(result.ok ? result.event.json.length : 0);
  });

  it('stamps every millisecond of a second exactly as Date#toISOString does (the cached-prefix path)', () => {
    // Consecutive captures within one second reuse the second's prefix and pad the milliseconds by hand.
    const second = Date.parse('2026-04-28T09:30:07.000Z');
    const stamps: string[] = [];
    const expected: string[] = [];
    for (const milli of [0, 1, 9, 10, 42, 99, 100, 123, 999]) {
      const at = second + milli;
      const result = prepareEvent({ name: 'order_placed', externalId: 'user_1' }, LIMITS, at);
      stamps.push(result.ok ? result.event.createdAt : 'rejected');
      expected.push(new Date(at).toISOString());
    }
    expect(stamps).toEqual(expected);
  });

  it('normalises createdAt from a Date or an ISO string with a zone', () => {
    expect(
      prepare({ createdAt: new Date('2026-01-02T03:04:05Z') }).ok &&
        (prepare({ createdAt: new Date('2026-01-02T03:04:05Z') }) as { event: { createdAt: string } }).event.createdAt,
    ).toBe('2026-01-02T03:04:05.000Z');
    const fromString = prepare({ createdAt: '2026-01-02T04:04:05+01:00' });
    expect(fromString.ok && fromString.event.createdAt).toBe('2026-01-02T03:04:05.000Z');
  });

  describe('rejections name the event, the source and the fix', () => {
    it.each<[string, Partial<TrackInput>, string, RegExp]>([
      ['empty name', { name: '' }, 'invalid_name', /name is empty/],
      ['blank name', { name: '   ' }, 'invalid_name', /name is empty/],
      ['non-string name', { name: 42 as unknown as string }, 'invalid_name', /must be a string, got a number/],
      ['long name', { name: 'x'.repeat(41) }, 'invalid_name', /41 characters long, over the limit of 40/],
      ['control chars in name', { name: 'order\nplaced' }, 'invalid_name', /control characters/],
      [
        'array data',
        { data: [1, 2] as unknown as Record<string, unknown> },
        'invalid_data',
        /plain object, got an array/,
      ],
      ['string data', { data: 'hello' as unknown as Record<string, unknown> }, 'invalid_data', /got a string/],
      ['Date data', { data: new Date() as unknown as Record<string, unknown> }, 'invalid_data', /got a Date instance/],
      [
        'class instance data',
        { data: new Money(3) as unknown as Record<string, unknown> },
        'invalid_data',
        /got a Money instance/,
      ],
      ['no contact', { externalId: null }, 'missing_contact', /neither externalId nor anonymousId/],
      [
        'empty contact ids',
        { externalId: '', anonymousId: '' },
        'missing_contact',
        /neither externalId nor anonymousId/,
      ],
      [
        'an object as externalId',
        { externalId: { id: 7 } as never },
        'invalid_contact',
        /externalId must be a string or a finite number, got an object\. Pass the id itself, e\.g\. user\.id rather than user/,
      ],
      ['NaN as anonymousId', { externalId: null, anonymousId: Number.NaN }, 'invalid_contact', /got NaN/],
      [
        'empty idempotency key',
        { idempotencyKey: '' },
        'invalid_idempotency_key',
        /1 to 255 characters, got 0 characters/,
      ],
      ['long idempotency key', { idempotencyKey: 'k'.repeat(256) }, 'invalid_idempotency_key', /got 256 characters/],
      ['control chars in key', { idempotencyKey: 'a\r\nInjected: 1' }, 'invalid_idempotency_key', /control characters/],
      ['invalid Date', { createdAt: new Date('nope') }, 'invalid_created_at', /valid Date or an ISO-8601 string/],
      ['non-ISO string', { createdAt: 'March 3, 2026' }, 'invalid_created_at', /ISO-8601/],
      ['ISO without zone', { createdAt: '2026-03-03T10:00:00' }, 'invalid_created_at', /time zone/],
      [
        'unknown user field',
        { identify: { email: 'a@b.c', plan: 'pro' } as never },
        'invalid_user',
        /unknown field "plan".*under data/,
      ],
      [
        'non-string email',
        { identify: { email: 42 } as never },
        'invalid_user',
        /identify.email must be a string or null/,
      ],
      ['array user data', { identify: { data: [] } as never }, 'invalid_user', /identify.data must be a plain object/],
      ['non-object identify', { identify: 'a@b.c' as never }, 'invalid_user', /identify must be a plain object/],
    ])('%s', (_label, input, reason, message) => {
      const rejected = rejection(input);
      expect(rejected.reason).toBe(reason);
      expect(rejected.message).toMatch(message);
      expect(rejected.message).toMatch(/^Spotzee event ".*" from POST \/orders rejected: /);
      expect(rejected.outcome).toBe('rejected');
    });

    it('points at the circular path', () => {
      const order: Record<string, unknown> = { id: 'ord_1' };
      order.customer = { orders: [order] };
      const rejected = rejection({ data: { order } });
      expect(rejected.reason).toBe('not_serialisable');
      expect(rejected.param).toBe('data.order.customer.orders[0]');
      expect(rejected.message).toMatch(/data\.order\.customer\.orders\[0\] refers back to one of its parents/);
    });

    it('points at a BigInt', () => {
      const rejected = rejection({ data: { totals: { cents: 10n } } });
      expect(rejected.reason).toBe('not_serialisable');
      expect(rejected.param).toBe('data.totals.cents');
      expect(rejected.message).toMatch(/BigInt.*String\(value\)/);
    });

    it('points at a problem inside identify with the name the caller used', () => {
      const rejected = rejection({ identify: { data: { ltv: 5n } } });
      expect(rejected.param).toBe('identify.data.ltv');
    });

    it('reports a throwing toJSON without throwing', () => {
      const rejected = rejection({
        data: {
          x: {
            toJSON: () => {
              throw new Error('boom');
            },
          },
        },
      });
      expect(rejected.reason).toBe('not_serialisable');
      expect(rejected.message).toMatch(/boom/);
    });

    it('rejects events over maxEventBytes with their size', () => {
      // Just over: the data alone fits, the serialised event does not.
      const rejected = rejection({ data: { blob: 'x'.repeat(2030) } });
      expect(rejected.reason).toBe('event_too_large');
      expect(rejected.message).toMatch(/serialises to \d+ bytes, over maxEventBytes \(2048\)/);
    });

    it('refuses data that is obviously too large without serialising it', () => {
      const serialised: string[] = [];
      const probe = {
        toJSON: () => {
          serialised.push('probe');
          return 'x';
        },
      };
      const rejected = rejection({ data: { blob: 'x'.repeat(3000), nested: { probe } } });
      expect(rejected.reason).toBe('event_too_large');
      expect(rejected.message).toContain(
        'its data was refused before serialising: it is already over maxEventBytes (2048).',
      );
      expect(serialised).toEqual([]);
    });

    it('refuses flat data that is obviously too large before serialising, and accepts flat data up to the limit', () => {
      const rejected = rejection({ data: { blob: 'x'.repeat(3000), total: 12 } });
      expect(rejected.reason).toBe('event_too_large');
      expect(rejected.message).toContain('its data was refused before serialising');
      // Numbers, booleans and null count for less than they serialise to: never refused for the estimate.
      const fields = Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`f${i}`, i % 3 ? 12345.678 : true]));
      const accepted = prepare({ data: fields });
      expect(accepted.ok && accepted.event.bytes).toBeLessThanOrEqual(2048);
      expect(accepted.ok && accepted.event.bytes).toBeGreaterThan(1900);
    });

    it.each<[string, unknown]>([
      ['a string', 'flat'],
      ['an array', ['a']],
      ['undefined', undefined],
    ])('refuses data whose own toJSON() returns %s', (_kind, returned) => {
      const rejected = rejection({ data: { total: 1, toJSON: () => returned } });
      expect(rejected.reason).toBe('invalid_data');
      expect(rejected.message).toContain('data has a toJSON() method that returns');
      expect(rejected.message).toContain('so it would not be sent as an object');
    });

    it('sends what a toJSON() returning a plain object says', () => {
      const result = prepare({ data: { secret: 's', toJSON: () => ({ shown: 1 }) } });
      expect(result.ok && result.event.json).toContain('"data":{"shown":1}');
    });

    it.each(['2026-02-30T00:00:00Z', '2026-04-31T10:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:00:00Z'])(
      'refuses createdAt %s, which is not on the calendar',
      (createdAt) => {
        expect(rejection({ createdAt }).reason).toBe('invalid_created_at');
      },
    );

    it('accepts a leap day', () => {
      const result = prepare({ createdAt: '2028-02-29T12:00:00Z' });
      expect(result.ok && result.event.createdAt).toBe('2028-02-29T12:00:00.000Z');
    });

    it.each(['order:\uD800', 'order:\uDC01x'])('refuses an idempotency key with a lone surrogate (%j)', (escaped) => {
      const key = JSON.parse(`"${escaped}"`) as string;
      const rejected = rejection({ idempotencyKey: key });
      expect(rejected.reason).toBe('invalid_idempotency_key');
      expect(rejected.message).toContain('not well-formed Unicode');
    });

    it('treats whitespace-only ids as missing', () => {
      expect(rejection({ externalId: '  ', anonymousId: '\t' }).reason).toBe('missing_contact');
      const result = prepare({ externalId: ' ', anonymousId: 'anon_1' });
      expect(result.ok && result.event.json).toContain('{"name":"order_placed","anonymous_id":"anon_1"');
    });

    it('never throws, even for junk input', () => {
      for (const junk of [undefined, null, 42, 'name', [], { name: Symbol('x') }]) {
        const result = prepareEvent(junk as unknown as TrackInput, LIMITS, NOW);
        expect(result.ok).toBe(false);
      }
    });

    it('follows JSON semantics inside data: functions and undefined are omitted', () => {
      const result = prepare({ data: { keep: 1, fn: () => 1, missing: undefined } });
      expect(result.ok && JSON.parse(result.event.json).data).toEqual({ keep: 1 });
    });
  });
});
