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

  it('beyond its count, forgets the key remembered longest ago first', () => {
    const window = new DedupeWindow(1000, 2);
    window.seen('a', 0);
    window.seen('b', 10);
    window.seen('c', 20);
    // 'a' made room for 'c'; 'b' and 'c' are still duplicates.
    expect(window.seen('b', 30)).toBe(true);
    expect(window.seen('c', 30)).toBe(true);
    expect(window.seen('a', 30)).toBe(false);
    // Re-remembering 'a' evicted 'b', the oldest left.
    expect(window.seen('c', 40)).toBe(true);
    expect(window.seen('b', 40)).toBe(false);
  });

  it('lets expired keys go first, so they never push out a key still within its window', () => {
    const window = new DedupeWindow(100, 2);
    window.seen('old', 0);
    window.seen('live', 60);
    // At 150 'old' has expired: remembering 'new' drops it, not 'live'.
    expect(window.seen('new', 150)).toBe(false);
    expect(window.seen('live', 150)).toBe(true);
    expect(window.seen('new', 150)).toBe(true);
    // A key seen again after expiry is remembered afresh, for a full window from then.
    expect(window.seen('live', 160)).toBe(false);
    expect(window.seen('live', 259)).toBe(true);
    expect(window.seen('live', 260)).toBe(false);
  });

  it('forget() drops only that key; clear() drops all; a zero count remembers nothing', () => {
    const window = new DedupeWindow(1000, 10);
    window.seen('a', 0);
    window.seen('b', 0);
    window.forget('a');
    window.forget('never-seen');
    expect(window.seen('a', 1)).toBe(false);
    expect(window.seen('b', 1)).toBe(true);
    window.clear();
    expect(window.seen('b', 2)).toBe(false);
    const none = new DedupeWindow(1000, 0);
    expect(none.seen('x', 0)).toBe(false);
    expect(none.seen('x', 1)).toBe(false);
  });
});
