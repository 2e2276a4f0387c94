import { serverText } from './spotzee-problem.js';
import type { SpotzeeItemError } from './spotzee-problem.js';

/**
 * What a 2xx body says. Spotzee's reference answers an empty 204; its guide promises per-item errors in
 * the response ("items that succeeded are committed"), in the shape `POST /users/batch` uses:
 * `{ results: [{ index, error?: { code, message } }], succeeded, failed }`. Anything else that parses as
 * JSON is a plain acceptance. A body that is not JSON at all (an HTML login page, a captive proxy, a wrong
 * `baseUrl` answering 200) did not come from Spotzee's API.
 */
export type SuccessBody =
  /** Empty, or JSON without per-item failures: the whole batch was accepted. */
  | { kind: 'accepted' }
  /** JSON naming items that failed: those were refused, the others committed. */
  | { kind: 'item_failures'; items: Map<number, SpotzeeItemError[]> }
  /** A body that cannot be Spotzee's: `contentType` as sent, for the halt message. */
  | { kind: 'not_spotzee'; contentType: string | null }
  /** The status arrived but the body did not, or was too long to read: the status alone decides. */
  | { kind: 'unread'; why: 'incomplete' | 'too_large' };

export const ACCEPTED: SuccessBody = { kind: 'accepted' };

const MAX_RESULTS = 1000;

function isJsonType(contentType: string | null): boolean {
  return contentType !== null && /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType);
}

export interface SuccessBodyInput {
  body: string | null;
  contentType: string | undefined;
  /** Longer than `maxResponseBytes`: reading stopped. */
  truncated: boolean;
  /** The body ended early or never ended (a slow or stuck body after a 2xx status line). */
  incomplete: boolean;
}

export function parseSuccessBody(
  input: SuccessBodyInput,
  batchSize: number,
  clean: (text: string) => string,
): SuccessBody {
  const contentType = input.contentType === undefined ? null : clean(input.contentType).slice(0, 100);
  if (input.truncated) {
    // Too long to read: a JSON (or untyped) answer is still Spotzee accepting; a 10 MB HTML page is not.
    return contentType === null || isJsonType(contentType)
      ? { kind: 'unread', why: 'too_large' }
      : { kind: 'not_spotzee', contentType };
  }
  const text = input.body === null ? '' : input.body.trim();
  if (input.incomplete) return { kind: 'unread', why: 'incomplete' };
  if (text === '') return ACCEPTED;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'not_spotzee', contentType };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return ACCEPTED;
  const results = (parsed as { results?: unknown }).results;
  if (!Array.isArray(results)) return ACCEPTED;
  const items = new Map<number, SpotzeeItemError[]>();
  results.slice(0, MAX_RESULTS).forEach((result: unknown, position) => {
    if (result === null || typeof result !== 'object') return;
    const { index, error } = result as { index?: unknown; error?: unknown };
    if (error === null || error === undefined || error === false) return;
    // `index` names the item; without one, the result's own position does (results in request order).
    const at = index === undefined ? position : index;
    if (typeof at !== 'number' || !Number.isInteger(at) || at < 0 || at >= batchSize) return;
    const detail = typeof error === 'object' ? (error as Record<string, unknown>) : { message: error };
    const list = items.get(at) ?? [];
    list.push({
      param: serverText(detail.param, clean, 500),
      code: serverText(detail.code, clean, 100),
      message: serverText(detail.message, clean) ?? serverText(detail.title, clean),
    });
    items.set(at, list);
  });
  return items.size > 0 ? { kind: 'item_failures', items } : ACCEPTED;
}
