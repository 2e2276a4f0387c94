import { itemIndexOf } from './spotzee-problem.js';
import type { SpotzeeItemError, SpotzeeProblem } from './spotzee-problem.js';
import { ACCEPTED } from './spotzee-success-body.js';
import type { SuccessBody } from './spotzee-success-body.js';

/**
 * What to do with a batch after Spotzee answered. Branches on the error `code` first, then the status:
 *
 * | answer                                   | decision     | why |
 * |------------------------------------------|--------------|-----|
 * | 2xx: 204, empty, JSON, replayed, unread  | delivered    | the status settles the batch; never resent |
 * | 2xx JSON with `results[].error` (207…)   | delivered    | minus `failed`: those items are rejected, the rest committed |
 * | 2xx with a non-JSON body (HTML…)         | halt         | not Spotzee's API: a proxy, a login page, a wrong baseUrl |
 * | 429, 409 idempotency_in_progress         | pause        | wait Retry-After for everyone; no attempt spent |
 * | 5xx, 408, 425, network error, timeout    | retry        | transient; backoff, spends an attempt |
 * | 400/422 naming items (`errors[].param`)  | reject_items | reject those, resend the rest under a new key |
 * | 400/422 naming none, 413                 | split        | halve until the bad event is alone, then reject it |
 * | 409 idempotency_key_mismatch             | mismatch     | never resend that body; reject its events |
 * | 401, 403, 402                            | halt         | key refused / account blocked: every batch would fail |
 * | 404, 405, 3xx, 400 version_unsupported   | halt         | wrong baseUrl or apiVersion: a configuration problem |
 * | 400/422 about the request, not the items | halt         | a bad header (key, version): every batch would fail |
 * | 409 with Retry-After but unknown code    | pause        | most likely "in progress" with a malformed body |
 * | any other 4xx (410, 415, 409…)           | reject_all   | Spotzee says not to retry other 4xx |
 * | anything else (1xx, unknown)             | retry        | unknown answers are treated as transient |
 */
export type Classification =
  | { kind: 'delivered'; replayed: boolean; failed: Map<number, SpotzeeItemError[]> }
  | { kind: 'retry' }
  | { kind: 'pause' }
  | { kind: 'reject_items'; items: Map<number, SpotzeeItemError[]> }
  | { kind: 'split' }
  | { kind: 'reject_all' }
  | { kind: 'mismatch' }
  | { kind: 'halt' };

const HALT_STATUSES = new Set([401, 402, 403, 404, 405]);
const TRANSIENT_4XX = new Set([408, 425]);
/** Codes about the request itself (its headers): no event is at fault, and every batch would get them. */
const REQUEST_LEVEL_CODES = new Set([
  'version_unsupported',
  'version_required',
  'version_invalid',
  'idempotency_key_invalid',
  'idempotency_key_required',
  'content_type_invalid',
  'authentication_required',
]);
/** Headers the library sends: an error whose `param` names one is about the request, not an event. */
const REQUEST_HEADERS = new Set(['idempotency-key', 'spotzee-version', 'authorization', 'content-type']);

/** True when a 400/422 concerns the request (a header), so splitting the batch could never help. */
export function isRequestLevel(problem: SpotzeeProblem): boolean {
  if (problem.code !== null && REQUEST_LEVEL_CODES.has(problem.code)) return true;
  const params = [problem.param, ...problem.errors.map((error) => error.param)];
  return params.some((param) => param !== null && REQUEST_HEADERS.has(param.trim().toLowerCase()));
}

function namedItems(problem: SpotzeeProblem, batchSize: number): Map<number, SpotzeeItemError[]> {
  const items = new Map<number, SpotzeeItemError[]>();
  const all =
    problem.errors.length > 0
      ? problem.errors
      : [{ param: problem.param, code: problem.code, message: problem.message }];
  for (const error of all) {
    const located = itemIndexOf(error.param);
    if (located === null || located.index >= batchSize) continue;
    const list = items.get(located.index) ?? [];
    list.push({ ...error, param: located.field });
    items.set(located.index, list);
  }
  return items;
}

export function classifyResponse(
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  problem: SpotzeeProblem,
  batchSize: number,
  success: SuccessBody = ACCEPTED,
): Classification {
  if (status >= 200 && status < 300) {
    if (success.kind === 'not_spotzee') return { kind: 'halt' };
    return {
      kind: 'delivered',
      replayed: (headers['idempotent-replayed'] ?? '').trim().toLowerCase() === 'true',
      failed: success.kind === 'item_failures' ? success.items : new Map(),
    };
  }
  if (status === 429 || problem.code === 'rate_limited' || problem.code === 'idempotency_in_progress') {
    return { kind: 'pause' };
  }
  if (problem.code === 'idempotency_key_mismatch') return { kind: 'mismatch' };
  if ((status === 400 || status === 422) && isRequestLevel(problem)) return { kind: 'halt' };
  if (status >= 500 || TRANSIENT_4XX.has(status)) return { kind: 'retry' };
  if (HALT_STATUSES.has(status) || (status >= 300 && status < 400)) return { kind: 'halt' };
  if (status === 400 || status === 422) {
    const items = namedItems(problem, batchSize);
    return items.size > 0 ? { kind: 'reject_items', items } : { kind: 'split' };
  }
  if (status === 413) return { kind: 'split' };
  if (status === 409 && headers['retry-after'] !== undefined) return { kind: 'pause' };
  if (status >= 400 && status < 500) return { kind: 'reject_all' };
  return { kind: 'retry' };
}
