import { describe, expect, it } from '@jest/globals';
import { createRedactor } from '../../lib/delivery/redaction.js';

describe('createRedactor', () => {
  it('scrubs the key, bearer tokens and key-shaped strings', () => {
    const redact = createRedactor('sk_live_secret123');
    expect(redact('key sk_live_secret123 end')).toBe('key [redacted] end');
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [redacted]');
    expect(redact('other sk_test_zzzzzz and pk_live_yyyyyy')).toBe('other sk_[redacted] and pk_[redacted]');
    expect(redact('order_placed batch spz_abc')).toBe('order_placed batch spz_abc');
  });
});
