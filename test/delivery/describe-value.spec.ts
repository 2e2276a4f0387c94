import { describe, expect, it } from '@jest/globals';
import { describeKind, describeValue } from '../../lib/delivery/describe-value.js';

class Money {
  constructor(readonly cents: number) {}
}

describe('describeValue', () => {
  it.each<[string, unknown, string]>([
    ['a number', 250, '250'],
    ['Infinity', Number.POSITIVE_INFINITY, 'Infinity'],
    ['a boolean', false, 'false'],
    ['a bigint', 7n, '7'],
    ['a short string, quoted', 'yes', '"yes"'],
    ['a long string, cut at 60 characters', 'x'.repeat(80), `"${'x'.repeat(60)}…"`],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['an array', [1, 2], 'an array'],
    ['a named function', function mapper() {}, 'a function (mapper)'],
    ['a plain object', { a: 1 }, 'an object'],
    ['an object without a prototype', Object.create(null), 'an object'],
    ['a class instance', new Money(5), 'a Money instance'],
    ['a Date', new Date(0), 'a Date instance'],
    ['a symbol', Symbol('s'), 'a symbol'],
  ])('names %s', (_case, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('names only the kind where the value could be personal data or a secret', () => {
    expect(describeKind('sk_live_secret')).toBe('a string');
    expect(describeKind(42)).toBe('a number');
    expect(describeKind(true)).toBe('a boolean');
    expect(describeKind(function mapper() {})).toBe('a function');
    expect(describeKind(new Money(5))).toBe('a Money instance');
    expect(describeKind([])).toBe('an array');
  });
});
