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

  it('with no key or an empty key, scrubs only bearer tokens and key-shaped strings', () => {
    for (const redact of [createRedactor(undefined), createRedactor('')]) {
      expect(redact('plain text, nothing secret')).toBe('plain text, nothing secret');
      expect(redact('the value was undefined')).toBe('the value was undefined');
      expect(redact('Bearer abc and sk_live_abcd')).toBe('Bearer [redacted] and sk_[redacted]');
    }
  });

  it('matches the key literally, even when it holds characters special in a regular expression', () => {
    const redact = createRedactor('a.b+c');
    expect(redact('got a.b+c back')).toBe('got [redacted] back');
    expect(redact('got aXbbc back')).toBe('got aXbbc back');
    expect(createRedactor('(x|y)*')('z (x|y)* z')).toBe('z [redacted] z');
  });

  it('leaves a prefix too short to be a key, and stops a bearer token at a separator', () => {
    const redact = createRedactor(undefined);
    expect(redact('sk_abc pk_xyz task_list')).toBe('sk_abc pk_xyz task_list');
    expect(redact('sk_abcd')).toBe('sk_[redacted]');
    expect(redact('xsk_abcdef')).toBe('xsk_abcdef');
    expect(redact('"Bearer tok123", next')).toBe('"Bearer [redacted]", next');
    expect(redact('bearer  tok;rest')).toBe('Bearer [redacted];rest');
    expect(redact('Bearertok')).toBe('Bearertok');
  });

  it('accepts non-string input defensively (a thrown value is not always a string)', () => {
    const redact = createRedactor('sk_live_secret123');
    expect(redact(42 as unknown as string)).toBe('42');
  });
});
