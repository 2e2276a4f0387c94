import { describe, expect, it } from '@jest/globals';
import { escapeControlCharacters } from '../../lib/delivery/prepare/control-characters.js';
import { createRedactor, createServerTextCleaner } from '../../lib/delivery/ledger/redaction.js';

describe('createRedactor', () => {
  it('scrubs the key, bearer tokens and key-shaped strings', () => {
    const redact = createRedactor('sk_live_secret123');
    expect(redact('key sk_live_secret123 end')).toBe('key [redacted] end');
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [redacted]');
    expect(redact('other sk_test_zzzzzz and pk_live_yyyyyy')).toBe('other sk_[redacted] and pk_[redacted]');
    expect(redact('order_placed batch spz_abc')).toBe('order_placed batch spz_abc');
  });

  it('scrubs the key in any case, and the server-text cleaner also escapes control characters', () => {
    const redact = createRedactor('sk_live_Secret123');
    expect(redact('SK_LIVE_SECRET123 / sk_live_secret123')).toBe('[redacted] / [redacted]');
    expect(redact('a key-shaped SK_TEST_ABCDEF')).toBe('a key-shaped SK_[redacted]');
    const clean = createServerTextCleaner(redact);
    expect(clean('line\r\nforged \u001b[31mred\u009b2J\u2028 sk_live_secret123')).toBe(
      'line\\r\\nforged \\u001b[31mred\\u009b2J\\u2028 [redacted]',
    );
    expect(escapeControlCharacters('tab\there')).toBe('tab\\there');
  });
});
