import type { EmulatorResponse } from './emulator-response.js';

/** One entry of a `422 validation_failed` body: `param` is a dotted path whose first segment is the item index. */
export interface ProblemFieldError {
  param: string;
  code: string;
  message: string;
}

export interface ProblemInit {
  status: number;
  code: string;
  message: string;
  param?: string;
  errors?: ProblemFieldError[];
  headers?: Record<string, string | readonly string[]>;
}

/** The body shape of every Spotzee error (`application/problem+json`). */
export interface ProblemBody {
  status: 'error';
  code: string;
  title: string;
  message: string;
  type: string;
  request_id: string;
  param?: string;
  errors?: ProblemFieldError[];
}

const TITLES: Record<string, string> = {
  authentication_required: 'Authentication required',
  permission_denied: 'Permission denied',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  unsupported_media_type: 'Unsupported media type',
  payload_too_large: 'Payload too large',
  invalid_json: 'Invalid JSON',
  parameter_invalid_type: 'Invalid parameter type',
  parameter_invalid_length: 'Invalid parameter length',
  parameter_invalid_format: 'Invalid parameter format',
  parameter_missing: 'Missing parameter',
  version_unsupported: 'Unsupported API version',
  validation_failed: 'Validation failed',
  idempotency_key_mismatch: 'Idempotency key reused with a different request',
  idempotency_in_progress: 'Idempotent request in progress',
  payment_required: 'Payment required',
  conflict: 'Conflict',
  rate_limited: 'Too many requests',
  internal_error: 'Internal server error',
  service_unavailable: 'Service unavailable',
};

/** The code a bare status implies, for `status` faults that do not name one. */
export function defaultCodeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'parameter_invalid';
    case 401:
      return 'authentication_required';
    case 402:
      return 'payment_required';
    case 403:
      return 'permission_denied';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 422:
      return 'validation_failed';
    case 429:
      return 'rate_limited';
    case 503:
      return 'service_unavailable';
    default:
      return status >= 500 ? 'internal_error' : 'request_failed';
  }
}

export function problemResponse(init: ProblemInit, requestId: string): EmulatorResponse {
  const body: ProblemBody = {
    status: 'error',
    code: init.code,
    title: TITLES[init.code] ?? 'Request failed',
    message: init.message,
    type: `https://docs.spotzee.com/api/errors#${init.code}`,
    request_id: requestId,
  };
  if (init.param !== undefined) body.param = init.param;
  if (init.errors !== undefined) body.errors = init.errors;
  return {
    status: init.status,
    headers: { 'content-type': 'application/problem+json', ...init.headers },
    body: Buffer.from(JSON.stringify(body)),
    code: init.code,
  };
}
