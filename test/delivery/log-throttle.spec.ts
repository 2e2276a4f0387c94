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
});
