import { describe, expect, it } from '@jest/globals';
import { LogThrottle } from '../../lib/delivery/ledger/log-throttle.js';

describe('LogThrottle', () => {
  it('logs the first line per key and folds repeats into the next report', () => {
    const throttle = new LogThrottle(1000);
    expect(throttle.admit('k', 'problem', 0)).toBe('problem');
    expect(throttle.admit('k', 'problem', 10)).toBeNull();
    expect(throttle.admit('k', 'problem', 20)).toBeNull();
    expect(throttle.admit('other', 'other problem', 30)).toBe('other problem');
    expect(throttle.admit('k', 'problem', 1500)).toBe('problem (2 more like it since the last report)');
  });

  it('reports again once a full interval has passed, with the latest message of the folded repeats', () => {
    const throttle = new LogThrottle(1000);
    expect(throttle.admit('k', 'first', 0)).toBe('first');
    expect(throttle.admit('k', 'second', 999)).toBeNull();
    expect(throttle.admit('k', 'third', 1000)).toBe('third (1 more like it since the last report)');
    // The interval restarts from that report; with nothing folded, the next line carries no count.
    expect(throttle.admit('k', 'fourth', 1999)).toBeNull();
    expect(throttle.admit('k', 'fifth', 3000)).toBe('fifth (1 more like it since the last report)');
    expect(throttle.admit('k', 'sixth', 4000)).toBe('sixth');
  });

  it('hands folded repeats to a timer as lines, once, and restarts the interval from there', () => {
    const throttle = new LogThrottle(1000);
    expect(throttle.takeRepeats(0)).toEqual([]);
    throttle.admit('a', 'problem a', 0);
    throttle.admit('b', 'problem b', 0);
    throttle.admit('b', 'problem b again', 10);
    throttle.admit('b', 'problem b again', 20);
    expect(throttle.takeRepeats(500)).toEqual(['problem b again (2 more like it since the last report)']);
    expect(throttle.takeRepeats(600)).toEqual([]);
    // The timer's report counts as the last one: a repeat soon after it is folded again, not logged.
    expect(throttle.admit('b', 'problem b', 1200)).toBeNull();
    expect(throttle.admit('a', 'problem a', 1200)).toBe('problem a');
    expect(throttle.takeRepeats(1300)).toEqual(['problem b (1 more like it since the last report)']);
  });

  it('forgets the oldest key beyond maxKeys, which then logs at once again', () => {
    const throttle = new LogThrottle(1000, 2);
    expect(throttle.admit('a', 'a', 0)).toBe('a');
    expect(throttle.admit('b', 'b', 0)).toBe('b');
    expect(throttle.admit('a', 'a', 1)).toBeNull();
    expect(throttle.admit('c', 'c', 2)).toBe('c');
    // 'a' was the oldest key and is forgotten (with its folded repeat); 'b' and 'c' are still throttled.
    expect(throttle.admit('b', 'b', 3)).toBeNull();
    expect(throttle.admit('c', 'c', 3)).toBeNull();
    expect(throttle.admit('a', 'a', 4)).toBe('a');
  });
});
