import { describe, expect, it } from '@jest/globals';
import { classifyResponse } from '../../lib/delivery/dispatch/response-classifier.js';
import { parseProblem } from '../../lib/delivery/dispatch/spotzee-problem.js';
import { parseSuccessBody } from '../../lib/delivery/dispatch/spotzee-success-body.js';

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

  it('treats deprecated numeric codes and malformed bodies as unknown', () => {
    expect(parseProblem('{"code": 4001, "message": 7, "errors": "nope"}')).toEqual({ ...none });
    expect(parseProblem('[1,2]')).toEqual(none);
    expect(parseProblem('{"errors":[null, 3, {"param": 5}]}').errors).toEqual([
      { param: null, code: null, message: null },
    ]);
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
    expect(read(null, undefined, { truncated: true })).toEqual({ kind: 'unread', why: 'too_large' });
    expect(read(null, 'application/problem+json', { truncated: true })).toEqual({ kind: 'unread', why: 'too_large' });
    expect(read('{"resul', 'application/json', { incomplete: true })).toEqual({ kind: 'unread', why: 'incomplete' });

    expect(classifyResponse(200, {}, none, 3, read('<html/>', 'text/html')).kind).toBe('halt');
    expect(classifyResponse(207, {}, none, 3, failures)).toEqual({
      kind: 'delivered',
      replayed: false,
      failed: (failures as { items: Map<number, unknown> }).items,
    });
  });

  it.each<[number, unknown, Record<string, string>, string]>([
    // A 429 pauses on its status alone; a rate-limit code pauses whatever the status.
    [429, null, {}, 'pause'],
    [400, { code: 'rate_limited' }, {}, 'pause'],
    [503, { code: 'idempotency_in_progress' }, {}, 'pause'],
    // A request-level code on a 5xx is still a transient failure: only a 400/422 halts on it.
    [503, { code: 'version_unsupported' }, {}, 'retry'],
    // Retry-After turns only an unexplained 409 into a pause; another 4xx is still refused.
    [410, null, { 'retry-after': '5' }, 'reject_all'],
    // Informational and unknown statuses are neither delivered nor refused: retried.
    [100, null, {}, 'retry'],
    [199, null, {}, 'retry'],
    [600, null, {}, 'retry'],
  ])('status %i with %j and headers %j is %s', (status, body, headers, kind) => {
    expect(classify(status, body, headers).kind).toBe(kind);
  });

  it('reads a padded replay header and a padded header name in param', () => {
    expect(classifyResponse(200, { 'idempotent-replayed': ' TRUE ' }, none, 1)).toMatchObject({ replayed: true });
    expect(classifyResponse(200, { 'idempotent-replayed': 'false' }, none, 1)).toMatchObject({ replayed: false });
    expect(classify(400, { code: 'parameter_invalid_format', param: ' Authorization ' }).kind).toBe('halt');
  });

  it('does not name an item at or past the end of the batch', () => {
    expect(classify(422, { errors: [{ param: '10.name' }] }, {}, 10).kind).toBe('split');
    expect(classify(422, { errors: [{ param: '9.name' }] }, {}, 10).kind).toBe('reject_items');
  });
});
