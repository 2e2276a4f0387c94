import { itemIndexOf } from './spotzee-problem.js';
import type { SpotzeeItemError, SpotzeeProblem } from './spotzee-problem.js';

/**
 * What to do with a batch after Spotzee answered. Branches on the error `code` first, then the status:
 *
 * | answer                                   | decision     | why |
 * |------------------------------------------|--------------|-----|
 * | any 2xx (204, JSON body, replayed)       | delivered    | the batch was accepted |
 * | 429, 409 idempotency_in_progress         | pause        | wait Retry-After for everyone; no attempt spent |
 * | 5xx, 408, 425, network error, timeout    | retry        | transient; backoff, spends an attempt |
 * | 400/422 naming items (`errors[].param`)  | reject_items | reject those, resend the rest under a new key |
 * | 400/422 naming none, 413                 | split        | halve until the bad event is alone, then reject it |
 * | 409 idempotency_key_mismatch             | mismatch     | never resend that body; reject its events |
 * | 401, 403, 402                            | halt         | key refused / account blocked: every batch would fail |
 * | 404, 405, 3xx, 400 version_unsupported   | halt         | wrong baseUrl or apiVersion: a configuration problem |
 * | 409 with Retry-After but unknown code    | pause        | most likely "in progress" with a malformed body |
 * | any other 4xx (410, 415, 409…)           | reject_all   | Spotzee says not to retry other 4xx |
 * | anything else (1xx, unknown)             | retry        | unknown answers are treated as transient |
 */
export type Classification =
  | { kind: 'delivered'; replayed: boolean }
  | { kind: 'retry' }
  | { kind: 'pause' }
  | { kind: 'reject_items'; items: Map<number, SpotzeeItemError[]> }
  | { kind: 'split' }
  | { kind: 'reject_all' }
  | { kind: 'mismatch' }
  | { kind: 'halt' };

const HALT_STATUSES = new Set([401, 402, 403, 404, 405]);
const TRANSIENT_4XX = new Set([408, 425]);

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
): Classification {
  if (status >= 200 && status < 300) {
    return { kind: 'delivered', replayed: (headers['idempotent-replayed'] ?? '').trim().toLowerCase() === 'true' };
  }
  if (status === 429 || problem.code === 'rate_limited' || problem.code === 'idempotency_in_progress') {
    return { kind: 'pause' };
  }
  if (problem.code === 'idempotency_key_mismatch') return { kind: 'mismatch' };
  if (problem.code === 'version_unsupported') return { kind: 'halt' };
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
