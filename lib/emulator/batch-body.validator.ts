import type { SpotzeeWireEvent } from '../delivery/prepare/spotzee-event.js';
import { isCalendarDate } from './calendar-date.js';
import type { ProblemFieldError, ProblemInit } from './problem-details.js';

export const MAX_EVENTS_PER_BATCH = 100;

export type BatchValidation = { ok: true; events: SpotzeeWireEvent[] } | { ok: false; problem: ProblemInit };

const EVENT_FIELDS = new Set(['name', 'external_id', 'anonymous_id', 'data', 'user', 'created_at']);
const USER_STRING_FIELDS = ['email', 'phone', 'timezone', 'locale'] as const;
const USER_FIELDS = new Set<string>([...USER_STRING_FIELDS, 'data']);
// ISO-8601 as clients actually send it: a date, or a date-time with seconds optional and a zone required,
// because a zone-less time is ambiguous and would be stored at the wrong moment.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Parses and checks a `POST /events` body the way the contract says: a bare JSON array of 1..100
 * events. Shape problems of the whole body are a 400; problems inside items are all collected into one
 * 422 whose `errors[].param` start with the item index, and the whole batch is rejected.
 */
export function validateBatchBody(body: string, maxNameLength: number): BatchValidation {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return bad(400, 'invalid_json', `The request body is not valid JSON (${(error as Error).message}).`);
  }
  if (!Array.isArray(parsed)) {
    const envelope = isPlainObject(parsed) && 'events' in parsed;
    return bad(
      400,
      'parameter_invalid_type',
      envelope
        ? 'The request body must be a bare JSON array of events; the `{ "events": [...] }` envelope from older guides is not accepted. Send the array itself.'
        : `The request body must be a JSON array of 1 to ${MAX_EVENTS_PER_BATCH} events (got ${jsonType(parsed)}).`,
    );
  }
  if (parsed.length === 0) {
    return bad(
      400,
      'parameter_invalid_length',
      `The request body is an empty array; send 1 to ${MAX_EVENTS_PER_BATCH} events.`,
    );
  }
  if (parsed.length > MAX_EVENTS_PER_BATCH) {
    return bad(
      400,
      'parameter_invalid_length',
      `The request body holds ${parsed.length} events; at most ${MAX_EVENTS_PER_BATCH} are accepted per request. Split the batch.`,
    );
  }
  const errors: ProblemFieldError[] = [];
  parsed.forEach((item, index) => validateEvent(item, String(index), maxNameLength, errors));
  if (errors.length > 0) {
    const items = new Set(errors.map((error) => error.param.split('.')[0])).size;
    return {
      ok: false,
      problem: {
        status: 422,
        code: 'validation_failed',
        message: `${items} of ${parsed.length} events are invalid; the batch was not accepted. See errors[] (param = "<index>.<field>").`,
        errors,
      },
    };
  }
  return { ok: true, events: parsed as SpotzeeWireEvent[] };
}

function validateEvent(item: unknown, at: string, maxNameLength: number, errors: ProblemFieldError[]): void {
  if (!isPlainObject(item)) {
    errors.push({
      param: at,
      code: 'parameter_invalid_type',
      message: `Each event must be a JSON object (got ${jsonType(item)}).`,
    });
    return;
  }
  for (const field of Object.keys(item)) {
    if (!EVENT_FIELDS.has(field)) {
      errors.push({
        param: `${at}.${field}`,
        code: 'parameter_unknown',
        message: `Unknown field "${field}"; an event has only ${[...EVENT_FIELDS].join(', ')}.`,
      });
    }
  }

  const name = item['name'];
  if (name === undefined || name === null) {
    errors.push({ param: `${at}.name`, code: 'parameter_missing', message: 'name is required.' });
  } else if (typeof name !== 'string') {
    errors.push({
      param: `${at}.name`,
      code: 'parameter_invalid_type',
      message: `name must be a string (got ${jsonType(name)}).`,
    });
  } else if (name.trim().length === 0) {
    errors.push({ param: `${at}.name`, code: 'parameter_invalid_empty', message: 'name must not be empty.' });
  } else if (name.length > maxNameLength) {
    errors.push({
      param: `${at}.name`,
      code: 'parameter_invalid_length',
      message: `name is ${name.length} characters; at most ${maxNameLength} are accepted.`,
    });
  }

  const externalOk = checkOptionalString(item, 'external_id', at, errors);
  const anonymousOk = checkOptionalString(item, 'anonymous_id', at, errors);
  if (externalOk && anonymousOk && !isNonEmptyString(item['external_id']) && !isNonEmptyString(item['anonymous_id'])) {
    errors.push({
      param: `${at}.external_id`,
      code: 'parameter_missing',
      message: 'At least one of external_id or anonymous_id must be a non-empty string.',
    });
  }

  checkOptionalObject(item, 'data', at, errors);

  const createdAt = item['created_at'];
  if (checkOptionalString(item, 'created_at', at, errors) && typeof createdAt === 'string' && !isIso8601(createdAt)) {
    errors.push({
      param: `${at}.created_at`,
      code: 'parameter_invalid_format',
      message: `created_at must be an ISO-8601 date-time with a zone, e.g. 2026-04-28T09:30:00.000Z (got "${truncate(createdAt)}").`,
    });
  }

  if ('user' in item) validateUser(item['user'], `${at}.user`, errors);
}

function validateUser(user: unknown, at: string, errors: ProblemFieldError[]): void {
  if (!isPlainObject(user)) {
    errors.push({
      param: at,
      code: 'parameter_invalid_type',
      message: `user must be an object (got ${jsonType(user)}).`,
    });
    return;
  }
  for (const field of Object.keys(user)) {
    if (!USER_FIELDS.has(field)) {
      errors.push({
        param: `${at}.${field}`,
        code: 'parameter_unknown',
        message: `Unknown user field "${field}"; user has only ${[...USER_FIELDS].join(', ')}.`,
      });
    }
  }
  for (const field of USER_STRING_FIELDS) checkOptionalString(user, field, at, errors);
  checkOptionalObject(user, 'data', at, errors);
}

/** True when the field is absent, null or a string; records an error otherwise. */
function checkOptionalString(
  holder: Record<string, unknown>,
  field: string,
  at: string,
  errors: ProblemFieldError[],
): boolean {
  const value = holder[field];
  if (value === undefined || value === null || typeof value === 'string') return true;
  errors.push({
    param: `${at}.${field}`,
    code: 'parameter_invalid_type',
    message: `${field} must be a string or null (got ${jsonType(value)}).`,
  });
  return false;
}

function checkOptionalObject(
  holder: Record<string, unknown>,
  field: string,
  at: string,
  errors: ProblemFieldError[],
): void {
  const value = holder[field];
  if (value === undefined || value === null || isPlainObject(value)) return;
  errors.push({
    param: `${at}.${field}`,
    code: 'parameter_invalid_type',
    message: `${field} must be an object or null (got ${jsonType(value)}).`,
  });
}

function isIso8601(value: string): boolean {
  return ISO_8601.test(value) && isCalendarDate(value) && !Number.isNaN(Date.parse(value));
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

function bad(status: number, code: string, message: string): BatchValidation {
  return { ok: false, problem: { status, code, message } };
}
