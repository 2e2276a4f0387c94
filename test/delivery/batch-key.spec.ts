import { describe, expect, it } from '@jest/globals';
import { batchBody, batchKey } from '../../lib/delivery/queue/batch-key.js';
import { preparedEvent as prepared } from './support/prepared-event.js';

describe('batch key and body', () => {
  it('is deterministic from explicit keys, and from minted ids otherwise', () => {
    const a = prepared({ idempotencyKey: 'order_placed:ord_1' });
    const a2 = prepared({ idempotencyKey: 'order_placed:ord_1', data: { other: true } });
    const b = prepared();
    expect(batchKey([a, b])).toBe(batchKey([a2, b]));
    expect(batchKey([a, b])).not.toBe(batchKey([b, a]));
    expect(batchKey([b])).not.toBe(batchKey([prepared()]));
    expect(batchKey([a, b])).toMatch(/^spz_[A-Za-z0-9_-]{43}$/);
  });

  it('cannot confuse an explicit key with a minted id, nor two keys with one joined key', () => {
    const minted = prepared();
    const spoof = prepared({ idempotencyKey: minted.id });
    expect(batchKey([spoof])).not.toBe(batchKey([minted]));
    // The separator is a newline, which a key can never contain, so ['a','b'] has no single-key twin.
    expect(() => prepared({ idempotencyKey: 'a\nk:b' })).toThrow(/control characters/);
  });

  it('stays short and header-safe whatever the user keys hold', () => {
    const key = batchKey(
      Array.from({ length: 100 }, (_, i) => prepared({ idempotencyKey: `ünïcode ${'x'.repeat(200)} ${i}` })),
    );
    expect(key.length).toBeLessThanOrEqual(255);
    expect(key).toMatch(/^[\x21-\x7e]+$/);
  });

  it('joins the events’ own JSON without re-serialising', () => {
    const events = [prepared({ data: { a: 1 } }), prepared({ data: { b: 'é' } })];
    expect(batchBody(events).toString('utf8')).toBe(`[${events[0]!.json},${events[1]!.json}]`);
  });
});
