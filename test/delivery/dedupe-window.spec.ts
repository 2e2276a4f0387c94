import { describe, expect, it } from '@jest/globals';
import { DedupeWindow } from '../../lib/delivery/queue/dedupe-window.js';

describe('DedupeWindow', () => {
  it('remembers keys for a window and a count', () => {
    const window = new DedupeWindow(1000, 3);
    expect(window.seen('a', 0)).toBe(false);
    expect(window.seen('a', 500)).toBe(true);
    expect(window.seen('a', 1000)).toBe(false);
    for (const key of ['b', 'c', 'd']) window.seen(key, 1001);
    expect(window.seen('a', 1002)).toBe(false);
    window.forget('d');
    expect(window.seen('d', 1003)).toBe(false);
    expect(new DedupeWindow(0, 10).seen('x') || new DedupeWindow(0, 10).seen('x')).toBe(false);
  });
});
