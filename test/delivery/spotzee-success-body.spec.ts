import { describe, expect, it } from '@jest/globals';
import { parseSuccessBody } from '../../lib/delivery/dispatch/spotzee-success-body.js';

type Extra = { contentType?: string; truncated?: boolean; incomplete?: boolean; batchSize?: number };

const read = (body: string | null, extra: Extra = {}) =>
  parseSuccessBody(
    {
      body,
      contentType: extra.contentType,
      truncated: extra.truncated ?? false,
      incomplete: extra.incomplete ?? false,
    },
    extra.batchSize ?? 3,
    (text) => text.toUpperCase(),
  );

const failures = (results: unknown[], batchSize = 3) => read(JSON.stringify({ results }), { batchSize });

describe('parseSuccessBody', () => {
  it('accepts any JSON without per-item failures, whatever its shape', () => {
    for (const body of ['null', '42', '"ok"', 'true', '[1,2]', '{}', '{"results":"all good"}', '{"results":[]}']) {
      expect([body, read(body)]).toEqual([body, { kind: 'accepted' }]);
    }
    expect(read('  {"accepted":3}\n', { contentType: 'application/json' })).toEqual({ kind: 'accepted' });
  });

  it('leaves a body that ended early unread, even when what arrived is empty', () => {
    expect(read('', { incomplete: true })).toEqual({ kind: 'unread', why: 'incomplete' });
    expect(read(null, { incomplete: true })).toEqual({ kind: 'unread', why: 'incomplete' });
  });

  it('says a non-JSON body is not Spotzee’s, naming its content type cleaned and cut', () => {
    expect(read('<html>', { contentType: 'text/html' })).toEqual({ kind: 'not_spotzee', contentType: 'TEXT/HTML' });
    expect(read('plain')).toEqual({ kind: 'not_spotzee', contentType: null });
    const long = read('<html>', { contentType: `text/html; ${'x'.repeat(300)}` });
    expect(long.kind === 'not_spotzee' && long.contentType).toHaveLength(100);
  });

  it('when too long to read, trusts only a JSON or untyped answer', () => {
    const tooLarge = { kind: 'unread', why: 'too_large' };
    for (const contentType of [
      'application/json',
      'Application/JSON; charset=utf-8',
      ' application/json ',
      'application/problem+json',
      'application/vnd.spotzee.v1+json;q=1',
    ]) {
      expect([contentType, read(null, { contentType, truncated: true })]).toEqual([contentType, tooLarge]);
    }
    for (const contentType of ['text/html', 'application/jsonp', 'text/json', 'application/xml', 'xapplication/json']) {
      expect([contentType, read('{}', { contentType, truncated: true })]).toEqual([
        contentType,
        { kind: 'not_spotzee', contentType: contentType.toUpperCase() },
      ]);
    }
  });

  it('collects per-item failures by index, several per item, with code, param and message', () => {
    expect(
      failures([
        { index: 1, error: { code: 'invalid', message: 'bad', param: 'data.x' } },
        { index: 1, error: { code: 'also', title: 'from title' } },
        { index: 0 },
        { index: 2, error: 'a plain string' },
      ]),
    ).toEqual({
      kind: 'item_failures',
      items: new Map([
        [
          1,
          [
            { param: 'DATA.X', code: 'INVALID', message: 'BAD' },
            { param: null, code: 'ALSO', message: 'FROM TITLE' },
          ],
        ],
        [2, [{ param: null, code: null, message: 'A PLAIN STRING' }]],
      ]),
    });
  });

  it('names an item by its position when the result has no index', () => {
    expect(failures([{}, { error: { code: 'c' } }, null, 7])).toEqual({
      kind: 'item_failures',
      items: new Map([[1, [{ param: null, code: 'C', message: null }]]]),
    });
  });

  it('ignores results that name no item of this batch, or carry no error', () => {
    const ignored = [
      { index: -1, error: { code: 'negative' } },
      { index: 3, error: { code: 'past_the_end' } },
      { index: '1', error: { code: 'string_index' } },
      { index: 0.5, error: { code: 'fraction' } },
      { index: 0, error: false },
      { index: 0, error: null },
      { index: 0, error: undefined },
    ];
    expect(failures(ignored)).toEqual({ kind: 'accepted' });
    expect(failures([...ignored, { index: 2, error: { code: 'last' } }])).toEqual({
      kind: 'item_failures',
      items: new Map([[2, [{ param: null, code: 'LAST', message: null }]]]),
    });
  });

  it('reads at most 1000 results, and cuts code and param to their bounds', () => {
    const results = Array.from({ length: 1001 }, (_, index) => (index < 1000 ? { index } : { index, error: 'x' }));
    expect(failures(results, 2000)).toEqual({ kind: 'accepted' });
    const long = 'y'.repeat(1000);
    const cut = failures([{ index: 0, error: { code: long, param: long, message: long } }]);
    expect(cut.kind === 'item_failures' && cut.items.get(0)).toEqual([
      { param: 'Y'.repeat(500), code: 'Y'.repeat(100), message: 'Y'.repeat(500) },
    ]);
  });
});
