/**
 * Spotzee's `application/problem+json` error body, read defensively: any field may be missing or of the
 * wrong type, and the body may be truncated, HTML or empty. Deprecated numeric `code` values are
 * treated as unknown, so callers fall back to the HTTP status.
 */
export interface SpotzeeItemError {
  param: string | null;
  code: string | null;
  message: string | null;
}

export interface SpotzeeProblem {
  code: string | null;
  title: string | null;
  message: string | null;
  requestId: string | null;
  param: string | null;
  errors: SpotzeeItemError[];
}

const MAX_ITEM_ERRORS = 1000;

/** Leaves text as it is; callers that show it anywhere pass the engine's server-text cleaner instead. */
export const KEEP_TEXT = (text: string): string => text;

/** A non-empty string field, cleaned (redacted, escaped) before it is cut, so a cut never splits a key. */
export function serverText(value: unknown, clean: (text: string) => string, max = 500): string | null {
  return typeof value === 'string' && value !== '' ? clean(value).slice(0, max) : null;
}

/** Every string in the result has been through `clean`: nothing raw from the server survives parsing. */
export function parseProblem(body: string | null, clean: (text: string) => string = KEEP_TEXT): SpotzeeProblem {
  const text = (value: unknown, max?: number): string | null => serverText(value, clean, max);
  const problem: SpotzeeProblem = { code: null, title: null, message: null, requestId: null, param: null, errors: [] };
  if (body === null || body === '') return problem;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return problem;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return problem;
  const raw = parsed as Record<string, unknown>;
  problem.code = text(raw.code, 100);
  problem.title = text(raw.title);
  problem.message = text(raw.message) ?? text(raw.error) ?? text(raw.detail);
  problem.requestId = text(raw.request_id, 200);
  problem.param = text(raw.param, 500);
  if (Array.isArray(raw.errors)) {
    for (const item of raw.errors.slice(0, MAX_ITEM_ERRORS)) {
      if (item === null || typeof item !== 'object') continue;
      const entry = item as Record<string, unknown>;
      problem.errors.push({ param: text(entry.param, 500), code: text(entry.code, 100), message: text(entry.message) });
    }
  }
  return problem;
}

/** `3.name` → { index: 3, field: 'name' }; `0` → { index: 0, field: null }; anything else → null. */
export function itemIndexOf(param: string | null): { index: number; field: string | null } | null {
  if (param === null) return null;
  const match = /^\[?(\d{1,3})\]?(?:\.(.+))?$/.exec(param);
  if (!match) return null;
  return { index: Number(match[1]), field: match[2] ?? null };
}
