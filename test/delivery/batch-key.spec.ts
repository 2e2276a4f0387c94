import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { batchBody, batchKey, bodyBytes } from '../../lib/delivery/queue/batch-key.js';
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

  it('is the documented digest: spz_ + base64url SHA-256 of k:/i: lines, then #generation when re-keyed', () => {
    // Pinned exactly: a durable store that re-forms a batch after a restart (or an upgrade) must reach the
    // key it would have sent before, or Spotzee cannot recognise the retry.
    const keyed = prepared({ idempotencyKey: 'order_placed:ord_1' });
    const minted = prepared();
    const digest = (material: string) => `spz_${createHash('sha256').update(material).digest('base64url')}`;
    expect(batchKey([keyed, minted])).toBe(digest(`k:order_placed:ord_1\ni:${minted.id}`));
    expect(batchKey([keyed])).toBe(digest('k:order_placed:ord_1'));
    expect(batchKey([])).toBe(digest(''));
    expect(batchKey([keyed, minted], 0)).toBe(batchKey([keyed, minted]));
    expect(batchKey([keyed, minted], 1)).toBe(digest(`k:order_placed:ord_1\ni:${minted.id}\n#1`));
    expect(batchKey([keyed], 2)).toBe(digest('k:order_placed:ord_1\n#2'));
  });

  it('gives the same events a fresh, stable key per generation', () => {
    const events = [prepared({ idempotencyKey: 'a' }), prepared({ idempotencyKey: 'b' })];
    const keys = [0, 1, 2].map((generation) => batchKey(events, generation));
    expect(new Set(keys).size).toBe(3);
    expect(batchKey(events, 1)).toBe(keys[1]);
  });

  it('predicts the body size: brackets plus one comma between events', () => {
    const events = [prepared({ data: { a: 1 } }), prepared({ data: { b: 'é' } }), prepared()];
    const eventBytes = (list: typeof events) => list.reduce((sum, e) => sum + Buffer.byteLength(e.json), 0);
    for (const list of [[], events.slice(0, 1), events]) {
      expect(bodyBytes(list.length, eventBytes(list))).toBe(batchBody(list).length);
    }
  });
});
