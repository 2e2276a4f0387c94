import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  LIBRARY_VERSION,
  MemoryEventQueue,
  USER_AGENT,
  batchBody,
  batchKey,
  createRedactor,
  prepareEvent,
} from '../../lib/delivery/index.js';
import type { PreparedEvent } from '../../lib/delivery/index.js';
import { parseRetryAfterMs, rateLimitPauseMs, retryDelayMs } from '../../lib/delivery/backoff.js';
import { DedupeWindow } from '../../lib/delivery/dedupe-window.js';
import { LogThrottle } from '../../lib/delivery/log-throttle.js';
import { classifyResponse } from '../../lib/delivery/response-classifier.js';
import { parseProblem } from '../../lib/delivery/spotzee-problem.js';
import { parseSuccessBody } from '../../lib/delivery/spotzee-success-body.js';

function prepared(overrides: Record<string, unknown> = {}): PreparedEvent {
  const result = prepareEvent(
    { name: 'order_placed', externalId: 'u1', ...overrides },
    { maxNameLength: 255, maxEventBytes: 65536 },
  );
  if (!result.ok) throw new Error(result.rejection.message);
  return result.event;
}

describe('version', () => {
  it('matches package.json and builds the User-Agent', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(LIBRARY_VERSION).toBe(pkg.version);
    expect(USER_AGENT).toBe(`nestjs-spotzee/${pkg.version} node/${process.versions.node}`);
  });
});

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
});

describe('backoff', () => {
  it('uses full jitter under an exponential ceiling with a cap', () => {
    expect(retryDelayMs(1, 200, 30_000, () => 0.999999)).toBe(199);
    expect(retryDelayMs(3, 200, 30_000, () => 0.5)).toBe(400);
    expect(retryDelayMs(20, 200, 30_000, () => 0.5)).toBe(15_000);
    expect(retryDelayMs(5, 200, 30_000, () => 0)).toBe(0);
  });

  it('parses Retry-After as seconds (fractions too) or an HTTP date', () => {
    expect(parseRetryAfterMs('2')).toBe(2000);
    expect(parseRetryAfterMs('0.05')).toBe(50);
    expect(parseRetryAfterMs(undefined)).toBeNull();
    expect(parseRetryAfterMs('soon')).toBeNull();
    const now = Date.parse('2026-04-28T10:00:00Z');
    expect(parseRetryAfterMs('Tue, 28 Apr 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfterMs('99999999')).toBe(99_999_999_000);
  });

  it('treats Retry-After 0, negative, past, garbage as absent, and reads only the first of several values', () => {
    const now = Date.parse('2026-04-28T10:00:00Z');
    for (const value of ['0', '0.0', '-5', '-0.5', 'Tue, 28 Apr 2026 09:59:00 GMT', 'soon', '', '1e3', 'NaN']) {
      expect([value, parseRetryAfterMs(value, now)]).toEqual([value, null]);
    }
    expect(parseRetryAfterMs('5, 10')).toBe(5000);
    expect(parseRetryAfterMs('0, 10')).toBeNull();
    expect(parseRetryAfterMs('Tue, 28 Apr 2026 10:00:07 GMT, Tue, 28 Apr 2026 11:00:00 GMT', now)).toBe(7000);
  });

  it('pauses for Retry-After (10 s if absent), doubling on repeats up to the cap, plus jitter', () => {
    const ms = (...args: Parameters<typeof rateLimitPauseMs>) => rateLimitPauseMs(...args).ms;
    expect(ms(null, 1, 60_000, 500, () => 0)).toBe(10_000);
    expect(ms(1000, 1, 60_000, 500, () => 0.5)).toBe(1250);
    expect(ms(1000, 3, 60_000, 0, () => 0)).toBe(4000);
    expect(ms(1000, 30, 60_000, 0, () => 0)).toBe(60_000);
    // What the server asks is capped too: one Retry-After: 86400 must not stall delivery for a day.
    expect(rateLimitPauseMs(90_000, 2, 60_000, 0, () => 0)).toEqual({ ms: 60_000, capped: true });
    expect(rateLimitPauseMs(86_400_000, 1, 60_000, 500, () => 0.5)).toEqual({ ms: 60_250, capped: true });
    expect(rateLimitPauseMs(1000, 30, 60_000, 0, () => 0).capped).toBe(false);
  });
});

describe('classifier', () => {
  const none = parseProblem(null);
  const classify = (status: number, body: unknown = null, headers: Record<string, string> = {}, size = 10) =>
    classifyResponse(
      status,
      headers,
      parseProblem(body === null ? null : typeof body === 'string' ? body : JSON.stringify(body)),
      size,
    );

  it.each<[number, unknown, Record<string, string>, string]>([
    [204, null, {}, 'delivered'],
    [200, { accepted: 10 }, {}, 'delivered'],
    [202, null, { 'idempotent-replayed': 'true' }, 'delivered'],
    [500, { code: 'internal_error' }, {}, 'retry'],
    [503, '<html>down</html>', {}, 'retry'],
    [408, null, {}, 'retry'],
    [429, { code: 'rate_limited' }, { 'retry-after': '1' }, 'pause'],
    [409, { code: 'idempotency_in_progress' }, {}, 'pause'],
    [409, { code: 'idempotency_key_mismatch' }, {}, 'mismatch'],
    [409, 'garbage', { 'retry-after': '1' }, 'pause'],
    [409, 'garbage', {}, 'reject_all'],
    [401, { code: 'authentication_required' }, {}, 'halt'],
    [403, null, {}, 'halt'],
    [402, null, {}, 'halt'],
    [404, null, {}, 'halt'],
    [301, null, {}, 'halt'],
    [400, { code: 'version_unsupported' }, {}, 'halt'],
    [
      422,
      { code: 'validation_failed', errors: [{ param: '3.name', code: 'parameter_invalid_empty' }] },
      {},
      'reject_items',
    ],
    [400, { code: 'parameter_unknown', param: '0.foo' }, {}, 'reject_items'],
    [422, { code: 'validation_failed', errors: [{ param: 'body' }] }, {}, 'split'],
    [422, { code: 'validation_failed', errors: [{ param: '12.name' }] }, {}, 'split'],
    [400, 'not json', {}, 'split'],
    [413, null, {}, 'split'],
    [415, null, {}, 'reject_all'],
    [410, { code: 12345 }, {}, 'reject_all'],
  ])('%i %j %j → %s', (status, body, headers, kind) => {
    expect(classify(status, body, headers).kind).toBe(kind);
  });

  it('reads the replay header and maps item indexes', () => {
    expect(classifyResponse(204, { 'idempotent-replayed': 'true' }, none, 1)).toEqual({
      kind: 'delivered',
      replayed: true,
      failed: new Map(),
    });
    const decision = classify(422, {
      errors: [{ param: '3.name', code: 'c', message: 'm' }, { param: '3.data.x' }, { param: '0' }],
    });
    expect(decision.kind === 'reject_items' && [...decision.items.entries()]).toEqual([
      [
        3,
        [
          { param: 'name', code: 'c', message: 'm' },
          { param: 'data.x', code: null, message: null },
        ],
      ],
      [0, [{ param: null, code: null, message: null }]],
    ]);
  });

  it.each<[number, unknown, string]>([
    [400, { code: 'parameter_invalid_format', param: 'Spotzee-Version' }, 'halt'],
    [400, { code: 'parameter_invalid_length', param: 'Idempotency-Key' }, 'halt'],
    [400, { code: 'idempotency_key_invalid' }, 'halt'],
    [400, { code: 'version_required' }, 'halt'],
    [422, { code: 'validation_failed', errors: [{ param: 'idempotency-key', code: 'x' }] }, 'halt'],
    [400, { code: 'parameter_invalid_format', param: 'data' }, 'split'],
  ])('a request-level %i %j (about a header, not an event) halts instead of splitting', (status, body, kind) => {
    expect(classify(status, body).kind).toBe(kind);
  });

  it('reads a 2xx body: per-item failures, plain acceptance, or not Spotzee at all', () => {
    const read = (
      body: string | null,
      contentType?: string,
      extra: { truncated?: boolean; incomplete?: boolean } = {},
    ) =>
      parseSuccessBody(
        { body, contentType, truncated: extra.truncated ?? false, incomplete: extra.incomplete ?? false },
        3,
        (text) => text.toUpperCase(),
      );
    expect(read(null)).toEqual({ kind: 'accepted' });
    expect(read('  ')).toEqual({ kind: 'accepted' });
    expect(read('{"ok":true}', 'application/json')).toEqual({ kind: 'accepted' });
    expect(read('{"results":[{"index":0},{"index":1,"error":null}]}')).toEqual({ kind: 'accepted' });
    const failures = read(
      JSON.stringify({
        results: [
          { index: 0 },
          { index: 2, error: { code: 'invalid', message: 'bad name' } },
          { index: 9, error: { code: 'out_of_range' } },
          { index: 1.5, error: { code: 'not_an_index' } },
        ],
        succeeded: 2,
        failed: 1,
      }),
    );
    // Every string is cleaned where it is parsed (here: upper-cased by the test's cleaner).
    expect(failures).toEqual({
      kind: 'item_failures',
      items: new Map([[2, [{ param: null, code: 'INVALID', message: 'BAD NAME' }]]]),
    });
    // Results without an index name items by position.
    expect(read('{"results":[{},{"error":{"code":"c"}}]}')).toMatchObject({ kind: 'item_failures' });
    expect(read('<html>login</html>', 'text/html; charset=utf-8')).toEqual({
      kind: 'not_spotzee',
      contentType: 'TEXT/HTML; CHARSET=UTF-8',
    });
    expect(read(null, 'text/html', { truncated: true })).toMatchObject({ kind: 'not_spotzee' });
    expect(read(null, 'application/problem+json', { truncated: true })).toEqual({ kind: 'unread', why: 'too_large' });
    expect(read('{"resul', 'application/json', { incomplete: true })).toEqual({ kind: 'unread', why: 'incomplete' });

    expect(classifyResponse(200, {}, none, 3, read('<html/>', 'text/html')).kind).toBe('halt');
    expect(classifyResponse(207, {}, none, 3, failures)).toEqual({
      kind: 'delivered',
      replayed: false,
      failed: (failures as { items: Map<number, unknown> }).items,
    });
  });

  it('treats deprecated numeric codes and malformed bodies as unknown', () => {
    expect(parseProblem('{"code": 4001, "message": 7, "errors": "nope"}')).toEqual({ ...none });
    expect(parseProblem('[1,2]')).toEqual(none);
    expect(parseProblem('{"errors":[null, 3, {"param": 5}]}').errors).toEqual([
      { param: null, code: null, message: null },
    ]);
  });
});

describe('MemoryEventQueue', () => {
  it('is FIFO and tracks bytes across compaction', () => {
    const queue = new MemoryEventQueue();
    const event = prepared();
    for (let seq = 1; seq <= 5000; seq++) queue.push({ event, seq, enqueuedAt: 0 });
    expect(queue.bytes).toBe(5000 * event.bytes);
    for (let seq = 1; seq <= 4000; seq++) expect(queue.shift()!.seq).toBe(seq);
    queue.push({ event, seq: 5001, enqueuedAt: 0 });
    expect(queue.size).toBe(1001);
    expect(queue.peek()!.seq).toBe(4001);
    expect(queue.bytes).toBe(1001 * event.bytes);
    while (queue.shift() !== undefined);
    expect(queue.size).toBe(0);
    expect(queue.bytes).toBe(0);
  });
});

describe('DedupeWindow', () => {
  it('remembers keys for a window and a count', () => {
    const window = new DedupeWindow(1000, 3);
    expect(window.seen('a', 0)).toBe(false);
    expect(window.seen('a', 500)).toBe(true);
    expect(window.seen('a', 1000)).toBe(false);
    for (const key of ['b', 'c', 'd']) window.seen(key, 1001);
    expect(window.size).toBe(3);
    expect(window.seen('a', 1002)).toBe(false);
    window.forget('d');
    expect(window.seen('d', 1003)).toBe(false);
    expect(new DedupeWindow(0, 10).seen('x') || new DedupeWindow(0, 10).seen('x')).toBe(false);
  });
});

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

describe('createRedactor', () => {
  it('scrubs the key, bearer tokens and key-shaped strings', () => {
    const redact = createRedactor('sk_live_secret123');
    expect(redact('key sk_live_secret123 end')).toBe('key [redacted] end');
    expect(redact('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [redacted]');
    expect(redact('other sk_test_zzzzzz and pk_live_yyyyyy')).toBe('other sk_[redacted] and pk_[redacted]');
    expect(redact('order_placed batch spz_abc')).toBe('order_placed batch spz_abc');
  });
});
