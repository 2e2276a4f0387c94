import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isCalendarDate } from './calendar-date.js';
import type { ProblemInit } from './problem-details.js';

export const EVENTS_PATH = '/api/client/events';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface HeaderPolicy {
  /** Accepted secret keys; null accepts any `sk_…` key. */
  apiKeys: ReadonlySet<string> | null;
  supportedVersions: ReadonlySet<string>;
}

export interface AcceptedHeaders {
  /** A hash of the API key: idempotency and rate limits are per key, and the key itself is never kept. */
  scope: string;
  apiVersion: string | null;
  idempotencyKey: string | null;
}

export type HeaderCheck = { ok: true; value: AcceptedHeaders } | { ok: false; problem: ProblemInit };

/** Everything the contract checks before looking at the body, in the order a real gateway would. */
export function checkRequestHeaders(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  policy: HeaderPolicy,
): HeaderCheck {
  if (path !== EVENTS_PATH) {
    return fail({
      status: 404,
      code: 'not_found',
      message: `No route for ${method} ${path}. Events are sent with POST ${EVENTS_PATH}.`,
    });
  }
  if (method !== 'POST') {
    return fail({
      status: 405,
      code: 'method_not_allowed',
      message: `${method} is not allowed on ${EVENTS_PATH}; use POST.`,
      headers: { allow: 'POST' },
    });
  }

  const token = bearerToken(headers.authorization);
  if (token === null) {
    return fail({
      status: 401,
      code: 'authentication_required',
      message:
        'Missing or malformed Authorization header. Send `Authorization: Bearer sk_…` with a secret project key.',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  if (token.startsWith('pk_')) {
    return fail({
      status: 403,
      code: 'permission_denied',
      message:
        'Publishable keys (pk_…) cannot send server-side events. Use a secret key (sk_…) from your project settings.',
    });
  }
  const known = policy.apiKeys === null ? token.startsWith('sk_') : policy.apiKeys.has(token);
  if (!known) {
    // Never echo the key: error bodies end up in logs.
    return fail({
      status: 401,
      code: 'authentication_required',
      message: 'Invalid API key. Check that you are using a secret key (sk_…) of this project.',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }

  const version = single(headers['spotzee-version']);
  if (version !== null) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(version) || !isCalendarDate(version)) {
      return fail({
        status: 400,
        code: 'parameter_invalid_format',
        param: 'Spotzee-Version',
        message: `Spotzee-Version must be a date, YYYY-MM-DD (got "${clip(version)}").`,
      });
    }
    if (!policy.supportedVersions.has(version)) {
      return fail({
        status: 400,
        code: 'version_unsupported',
        param: 'Spotzee-Version',
        message: `API version ${version} is not supported. Supported: ${[...policy.supportedVersions].join(', ')}.`,
      });
    }
  }

  const contentType = single(headers['content-type']);
  if (contentType === null || !isJsonMediaType(contentType)) {
    return fail({
      status: 415,
      code: 'unsupported_media_type',
      param: 'Content-Type',
      message: `Send the events as JSON with \`Content-Type: application/json\` (got ${contentType === null ? 'none' : `"${clip(contentType)}"`}).`,
    });
  }

  const idempotencyKey = single(headers['idempotency-key']);
  if (idempotencyKey !== null && (idempotencyKey.length < 1 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    return fail({
      status: 400,
      code: 'parameter_invalid_length',
      param: 'Idempotency-Key',
      message: `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (got ${idempotencyKey.length}).`,
    });
  }

  return { ok: true, value: { scope: apiKeyScope(token), apiVersion: version, idempotencyKey } };
}

/** The token of a `Bearer` Authorization header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match === null ? null : match[1]!;
}

export function apiKeyScope(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

function isJsonMediaType(value: string): boolean {
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function single(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

function clip(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}

function fail(problem: ProblemInit): HeaderCheck {
  return { ok: false, problem };
}
