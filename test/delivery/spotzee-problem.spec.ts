import { describe, expect, it } from '@jest/globals';
import { itemIndexOf, parseProblem, serverText } from '../../lib/delivery/dispatch/spotzee-problem.js';

const EMPTY = { code: null, title: null, message: null, requestId: null, param: null, errors: [] };

describe('parseProblem', () => {
  it('reads every field of a problem+json body, through the cleaner', () => {
    const body = JSON.stringify({
      code: 'validation_failed',
      title: 'Invalid request',
      message: 'Some events are invalid',
      request_id: 'req_1',
      param: 'data',
      errors: [{ param: '0.name', code: 'parameter_invalid_empty', message: 'name is empty' }],
    });
    expect(parseProblem(body, (text) => `<${text}>`)).toEqual({
      code: '<validation_failed>',
      title: '<Invalid request>',
      message: '<Some events are invalid>',
      requestId: '<req_1>',
      param: '<data>',
      errors: [{ param: '<0.name>', code: '<parameter_invalid_empty>', message: '<name is empty>' }],
    });
  });

  it('takes the message from `error` or `detail` when `message` is missing or empty', () => {
    expect(parseProblem('{"error":"from error","detail":"from detail"}').message).toBe('from error');
    expect(parseProblem('{"message":"","detail":"from detail"}').message).toBe('from detail');
    expect(parseProblem('{"message":"m","error":"e"}').message).toBe('m');
  });

  it('returns an empty problem for an absent, empty, truncated, non-object or HTML body', () => {
    for (const body of [null, '', '{"code":"rate_lim', '<html>bad gateway</html>', 'null', '"text"', '42', '[{}]']) {
      expect([body, parseProblem(body)]).toEqual([body, EMPTY]);
    }
  });

  it('treats empty strings and non-string fields as absent', () => {
    expect(parseProblem('{"code":"","title":"","request_id":7,"param":false}')).toEqual(EMPTY);
    expect(parseProblem('{"errors":[{"param":"","code":"","message":""}]}').errors).toEqual([
      { param: null, code: null, message: null },
    ]);
  });

  it('cuts each field to its bound, and keeps at most 1000 item errors', () => {
    const long = 'x'.repeat(1000);
    const problem = parseProblem(
      JSON.stringify({
        code: long,
        title: long,
        message: long,
        request_id: long,
        param: long,
        errors: Array.from({ length: 1500 }, () => ({ param: long, code: long, message: long })),
      }),
    );
    expect(problem.code).toHaveLength(100);
    expect(problem.title).toHaveLength(500);
    expect(problem.message).toHaveLength(500);
    expect(problem.requestId).toHaveLength(200);
    expect(problem.param).toHaveLength(500);
    expect(problem.errors).toHaveLength(1000);
    expect(problem.errors[0]).toEqual({
      param: long.slice(0, 500),
      code: long.slice(0, 100),
      message: long.slice(0, 500),
    });
  });
});

describe('serverText', () => {
  it('cleans before cutting, so a redaction is never split by the cut', () => {
    const redact = (text: string) => text.replace('sk_live_secret', '[redacted]');
    expect(serverText('key sk_live_secret', redact, 9)).toBe('key [reda');
    expect(serverText('abcdef', (text) => text)).toBe('abcdef');
    expect(serverText('', (text) => `!${text}`)).toBeNull();
    expect(serverText(5, (text) => text)).toBeNull();
  });
});

describe('itemIndexOf', () => {
  it.each<[string | null, { index: number; field: string | null } | null]>([
    ['3.name', { index: 3, field: 'name' }],
    ['0', { index: 0, field: null }],
    ['[2]', { index: 2, field: null }],
    ['[12].data.amount', { index: 12, field: 'data.amount' }],
    ['999', { index: 999, field: null }],
    ['1000', null],
    ['name', null],
    ['x3', null],
    ['3x', null],
    ['3.', null],
    ['-1', null],
    ['', null],
    [null, null],
  ])('%j → %j', (param, expected) => {
    expect(itemIndexOf(param)).toEqual(expected);
  });
});
