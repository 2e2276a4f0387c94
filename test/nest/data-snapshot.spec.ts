import { describe, expect, it } from '@jest/globals';
import { snapshotData } from '../../lib/data-snapshot.js';

describe('snapshotData', () => {
  it('copies plain objects and arrays deeply, so later changes by the caller are not sent', () => {
    const data = { order: { id: 'ord_1', lines: [{ sku: 'a', qty: 1 }] }, tags: ['new'] };
    const snapshot = snapshotData(data);
    data.order.id = 'changed';
    data.order.lines[0]!.qty = 99;
    data.order.lines.push({ sku: 'b', qty: 2 });
    data.tags[0] = 'changed';
    expect(snapshot).toEqual({ order: { id: 'ord_1', lines: [{ sku: 'a', qty: 1 }] }, tags: ['new'] });
  });

  it('returns primitives, null and undefined as they are', () => {
    for (const value of [null, undefined, 0, 'text', true, 10n]) expect(snapshotData(value)).toBe(value);
  });

  it('keeps Dates, class instances and objects with toJSON by reference, so they serialise as before', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return `${this.cents / 100} EUR`;
      }
    }
    const at = new Date(0);
    const price = new Money(1250);
    const snapshot = snapshotData({ at, price, list: [price] }) as { at: Date; price: Money; list: Money[] };
    expect(snapshot.at).toBe(at);
    expect(snapshot.price).toBe(price);
    expect(snapshot.list[0]).toBe(price);
    expect(JSON.stringify(snapshot)).toBe('{"at":"1970-01-01T00:00:00.000Z","price":"12.5 EUR","list":["12.5 EUR"]}');
  });

  it('copies a null-prototype object as a plain object', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: { b: 1 } });
    const snapshot = snapshotData(bare) as Record<string, { b: number }>;
    (bare.a as { b: number }).b = 2;
    expect(snapshot.a).toEqual({ b: 1 });
  });

  it('keeps cycles as cycles and a shared object shared, in the copy', () => {
    const shared = { n: 1 };
    const list: unknown[] = [shared];
    const data: Record<string, unknown> = { left: shared, right: shared, list };
    data.self = data;
    list.push(list);
    const snapshot = snapshotData(data) as Record<string, unknown> & { list: unknown[] };
    expect(snapshot).not.toBe(data);
    expect(snapshot.self).toBe(snapshot);
    expect(snapshot.left).toBe(snapshot.right);
    expect(snapshot.left).not.toBe(shared);
    expect(snapshot.list[0]).toBe(snapshot.left);
    expect(snapshot.list[1]).toBe(snapshot.list);
    expect(snapshot.list).not.toBe(list);
  });
});
