import { hasControlCharacters } from './control-characters.js';
import { describeKind } from '../describe-value.js';
import { describeEvent, mintEventId } from './event-summary.js';
import { findJsonProblem } from '../dispatch/json-problem-path.js';
import type { RejectedOutcome, RejectionReason } from '../ledger/outcomes.js';
import type { PreparedEvent, SpotzeeUserBlock, SpotzeeWireEvent, TrackInput } from './spotzee-event.js';

export type PrepareResult = { ok: true; event: PreparedEvent } | { ok: false; rejection: RejectedOutcome };

export interface PrepareLimits {
  maxNameLength: number;
  maxEventBytes: number;
}

// A time zone is required: a local time would be read in the server's zone, not the app's.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DATE_FIELDS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/;
const USER_STRING_FIELDS = ['email', 'phone', 'timezone', 'locale'] as const;
const USER_FIELDS = new Set<string>([...USER_STRING_FIELDS, 'data']);

class Invalid {
  constructor(
    readonly reason: RejectionReason,
    readonly problem: string,
    readonly param?: string,
  ) {}
}

/** Plain objects only; tolerant of objects from another realm (vm contexts, Jest). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  // The common case first: an object literal from this realm.
  if (proto === Object.prototype || proto === null) return true;
  return (
    Object.getPrototypeOf(proto) === null &&
    (proto as { constructor?: { name?: string } }).constructor?.name === 'Object'
  );
}

function checkName(name: unknown, maxLength: number): string {
  if (typeof name !== 'string') {
    throw new Invalid(
      'invalid_name',
      `the name must be a string, got ${describeKind(name)}. Use a snake_case verb such as "order_placed"`,
      'name',
    );
  }
  if (name.trim() === '') {
    throw new Invalid('invalid_name', 'the name is empty. Use a snake_case verb such as "order_placed"', 'name');
  }
  if (name.length > maxLength) {
    throw new Invalid(
      'invalid_name',
      `the name is ${name.length} characters long, over the limit of ${maxLength}. Use a short, stable snake_case name`,
      'name',
    );
  }
  if (hasControlCharacters(name)) {
    throw new Invalid('invalid_name', 'the name contains control characters (a newline?). Remove them', 'name');
  }
  return name;
}

/** Spotzee ids are strings; numeric primary keys (and numeric JWT `sub`s) are common, so they are converted. */
function checkContactId(value: unknown, field: 'externalId' | 'anonymousId'): string | null {
  if (value === undefined || value === null) return null;
  // Spotzee needs a non-empty id: a blank one (an unset header, a padded form field) is no id at all.
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') return String(value);
  throw new Invalid(
    'invalid_contact',
    `${field} must be a string or a finite number, got ${typeof value === 'number' ? String(value) : describeKind(value)}. Pass the id itself, e.g. user.id rather than user`,
    field,
  );
}

/**
 * JSON.stringify replaces an object by what its own `toJSON()` returns, so the plain-object check
 * applies to that: a `toJSON` returning a string, an array or undefined would otherwise slip through.
 */
function unwrapToJson(value: Record<string, unknown>, path: string): unknown {
  const toJSON = value.toJSON;
  if (typeof toJSON !== 'function') return value;
  let replaced: unknown;
  try {
    replaced = (toJSON as (key: string) => unknown).call(value, path);
  } catch (error) {
    throw new Invalid(
      'not_serialisable',
      `${path}.toJSON() threw (${error instanceof Error ? error.message : String(error)})`,
      path,
    );
  }
  if (!isPlainObject(replaced)) {
    throw new Invalid(
      'invalid_data',
      `${path} has a toJSON() method that returns ${describeKind(replaced)}, so it would not be sent as an object. Map it to plain fields`,
      path,
    );
  }
  return replaced;
}

function checkData(data: unknown): Record<string, unknown> | null {
  if (data === undefined || data === null) return null;
  if (!isPlainObject(data)) {
    throw new Invalid(
      'invalid_data',
      `data must be a plain object, got ${describeKind(data)}. Wrap it, e.g. { items: [...] } or { at: date.toISOString() }`,
      'data',
    );
  }
  return unwrapToJson(data, 'data') as Record<string, unknown>;
}

/**
 * A lower bound of the JSON size of `value`, walked only until it passes `budget`: oversize data is
 * refused after looking at about `budget` bytes' worth of it, never after serialising all of it (a
 * 50 MB string would block the event loop for most of a second). Objects with `toJSON` count as
 * empty (a lower bound), and a cycle stops the walk (serialising reports it properly).
 */
function jsonSizeAtLeast(value: unknown, budget: number): number {
  const flat = flatJsonSize(value);
  if (flat >= 0) return flat;
  let size = 0;
  const ancestors = new Set<object>();
  const walk = (node: unknown): void => {
    if (size > budget) return;
    if (typeof node === 'string') {
      size += node.length + 2; // UTF-8 never takes fewer bytes than UTF-16 code units.
      return;
    }
    if (node === null || typeof node !== 'object') {
      size += 1;
      return;
    }
    if (ancestors.has(node) || typeof (node as { toJSON?: unknown }).toJSON === 'function') return;
    ancestors.add(node);
    size += 2;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length && size <= budget; i++) {
        size += 1;
        walk(node[i]);
      }
    } else {
      for (const key in node) {
        if (size > budget) break;
        if (!Object.prototype.hasOwnProperty.call(node, key)) continue;
        size += key.length + 4;
        walk((node as Record<string, unknown>)[key]);
      }
    }
    ancestors.delete(node);
  };
  try {
    walk(value);
  } catch {
    // A throwing getter: serialising reports it with the right words.
  }
  return size;
}

/**
 * The same lower bound for what most events carry, a plain object of primitives, without the walk's
 * bookkeeping (a Set and a closure per call): -1 for anything else, as soon as a field holds an
 * object, or when a getter throws, for the walk to handle.
 */
function flatJsonSize(value: unknown): number {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return -1;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return -1;
  let size = 2;
  try {
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      const field = (value as Record<string, unknown>)[key];
      if (typeof field === 'string') size += key.length + field.length + 6;
      else if (field === null || typeof field !== 'object') size += key.length + 5;
      else return -1;
    }
  } catch {
    return -1;
  }
  return size;
}

function checkUser(identify: unknown): SpotzeeUserBlock | null {
  if (identify === undefined || identify === null) return null;
  if (!isPlainObject(identify)) {
    throw new Invalid(
      'invalid_user',
      `identify must be a plain object with email, phone, timezone, locale or data, got ${describeKind(identify)}`,
      'user',
    );
  }
  const user: SpotzeeUserBlock = {};
  let fields = 0;
  for (const key of Object.keys(identify)) {
    if (!USER_FIELDS.has(key)) {
      throw new Invalid(
        'invalid_user',
        `identify has an unknown field "${key}". Allowed: email, phone, timezone, locale, data (put custom attributes under data)`,
        `user.${key}`,
      );
    }
  }
  for (const field of USER_STRING_FIELDS) {
    const value = identify[field];
    if (value === undefined) continue;
    if (value !== null && typeof value !== 'string') {
      throw new Invalid(
        'invalid_user',
        `identify.${field} must be a string or null, got ${describeKind(value)}`,
        `user.${field}`,
      );
    }
    user[field] = value;
    fields += 1;
  }
  const data = identify.data;
  if (data !== undefined) {
    if (data !== null && !isPlainObject(data)) {
      throw new Invalid(
        'invalid_user',
        `identify.data must be a plain object or null, got ${describeKind(data)}`,
        'user.data',
      );
    }
    user.data = data === null ? null : (unwrapToJson(data, 'identify.data') as Record<string, unknown>);
    fields += 1;
  }
  return fields > 0 ? user : null;
}

function checkIdempotencyKey(key: unknown): string | null {
  if (key === undefined || key === null) return null;
  if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
    const got = typeof key === 'string' ? `${key.length} characters` : describeKind(key);
    throw new Invalid(
      'invalid_idempotency_key',
      `idempotencyKey must be a string of 1 to 255 characters, got ${got}. Use a stable key such as "order_placed:ord_42"`,
      'idempotencyKey',
    );
  }
  if (hasControlCharacters(key)) {
    throw new Invalid(
      'invalid_idempotency_key',
      'idempotencyKey contains control characters. Remove them',
      'idempotencyKey',
    );
  }
  if (LONE_SURROGATE.test(key)) {
    // Not well-formed Unicode: every lone surrogate encodes as the same U+FFFD, so distinct keys would collide.
    throw new Invalid(
      'invalid_idempotency_key',
      'idempotencyKey is not well-formed Unicode (it contains a lone surrogate, e.g. a string cut in the middle of an emoji). Build it from whole characters',
      'idempotencyKey',
    );
  }
  return key;
}

// Captures in the same millisecond share one stamp: `toISOString()` is a visible share of capture cost,
// and a burst of captures falls into few distinct milliseconds. Strings are immutable, so sharing is safe.
// Within one second only the milliseconds change, so a new millisecond reuses the second's prefix
// (`2026-04-28T09:30:00.`) instead of formatting a Date: under steady load most captures land in a new ms.
let stampedMs = NaN;
let stamp = '';
let stampedSecond = NaN;
let secondPrefix = '';

function isoAt(ms: number): string {
  if (ms !== stampedMs) {
    const second = Math.floor(ms / 1000);
    if (second !== stampedSecond || !Number.isInteger(ms)) {
      stamp = new Date(ms).toISOString();
      // Every ISO stamp ends in `.sssZ`, whatever the width of its year.
      secondPrefix = stamp.slice(0, -4);
      stampedSecond = Number.isInteger(ms) ? second : NaN;
    } else {
      const milli = ms - second * 1000;
      stamp = `${secondPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
    }
    stampedMs = ms;
  }
  return stamp;
}

/** `Date` rolls `2026-02-30` over to March 2 without a word: check the fields against the calendar. */
function isCalendarDate(text: string): boolean {
  const fields = DATE_FIELDS.exec(text);
  if (fields === null) return false;
  const [year, month, day, hour, minute] = fields.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = fields[6] === undefined ? 0 : Number(fields[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function checkCreatedAt(createdAt: unknown, captureStamp: string): string {
  if (createdAt === undefined || createdAt === null) return captureStamp;
  let date: Date | null = null;
  if (createdAt instanceof Date || Object.prototype.toString.call(createdAt) === '[object Date]') {
    date = createdAt as Date;
  } else if (typeof createdAt === 'string' && ISO_DATE_TIME.test(createdAt) && isCalendarDate(createdAt)) {
    date = new Date(createdAt);
  }
  if (date !== null && !Number.isNaN(date.getTime())) {
    try {
      return date.toISOString();
    } catch {
      // Out of toISOString's range: reported below.
    }
  }
  throw new Invalid(
    'invalid_created_at',
    'createdAt must be a valid Date or an ISO-8601 string with a time zone, e.g. "2026-04-28T09:30:00.000Z"',
    'createdAt',
  );
}

function serialise(wire: SpotzeeWireEvent): string {
  try {
    return JSON.stringify(wire);
  } catch (error) {
    const found = findJsonProblem(wire.data, 'data') ?? findJsonProblem(wire.user, 'identify');
    if (found?.kind === 'circular') {
      throw new Invalid(
        'not_serialisable',
        `${found.path} refers back to one of its parents (a circular structure). Map the object to plain fields before tracking it`,
        found.path,
      );
    }
    if (found?.kind === 'bigint') {
      throw new Invalid(
        'not_serialisable',
        `${found.path} is a BigInt, which JSON cannot represent. Convert it, e.g. String(value) or Number(value)`,
        found.path,
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw new Invalid('not_serialisable', `the payload cannot be serialised to JSON (${detail.split('\n')[0]})`);
  }
}

/**
 * Validates, stamps and serialises an event exactly once. Never throws: bad input comes back as a
 * rejection whose message names the event, its source and the fix. JSON semantics apply inside `data`:
 * functions, symbols and `undefined` are omitted, Dates become ISO strings, NaN becomes null.
 */
export function prepareEvent(input: TrackInput, limits: PrepareLimits, now: number = Date.now()): PrepareResult {
  const safeInput: Partial<TrackInput> = input !== null && typeof input === 'object' ? input : {};
  const rawName: unknown = safeInput.name;
  const source = typeof safeInput.source === 'string' ? safeInput.source : undefined;
  const id = mintEventId();
  // Stamped once, before validation, so a rejection carries the capture time too.
  const captureStamp = isoAt(now);
  let createdAt = captureStamp;
  let externalId: string | null = null;
  let anonymousId: string | null = null;
  let idempotencyKey: string | null = null;
  try {
    const name = checkName(rawName, limits.maxNameLength);
    externalId = checkContactId(safeInput.externalId, 'externalId');
    anonymousId = checkContactId(safeInput.anonymousId, 'anonymousId');
    idempotencyKey = checkIdempotencyKey(safeInput.idempotencyKey);
    if (externalId === null && anonymousId === null) {
      throw new Invalid(
        'missing_contact',
        "it has neither externalId nor anonymousId. Pass the contact's id from your database as externalId, or a visitor id as anonymousId",
        'externalId',
      );
    }
    const data = checkData(safeInput.data);
    const user = checkUser(safeInput.identify);
    const floor = jsonSizeAtLeast(data, limits.maxEventBytes) + jsonSizeAtLeast(user, limits.maxEventBytes);
    if (floor > limits.maxEventBytes) {
      throw new Invalid(
        'event_too_large',
        `its data was refused before serialising: it is already over maxEventBytes (${limits.maxEventBytes}). Send identifiers and the fields journeys need, not whole records`,
        'data',
      );
    }
    createdAt = checkCreatedAt(safeInput.createdAt, captureStamp);

    // Field order is fixed so equal input always yields equal bytes.
    const wire: SpotzeeWireEvent = { name };
    if (externalId !== null) wire.external_id = externalId;
    if (anonymousId !== null) wire.anonymous_id = anonymousId;
    if (data !== null) wire.data = data;
    if (user !== null) wire.user = user;
    wire.created_at = createdAt;

    const json = serialise(wire);
    const bytes = Buffer.byteLength(json);
    if (bytes > limits.maxEventBytes) {
      throw new Invalid(
        'event_too_large',
        `it serialises to ${bytes} bytes, over maxEventBytes (${limits.maxEventBytes}). Send identifiers and the fields journeys need, not whole records`,
        'data',
      );
    }
    return { ok: true, event: { id, name, externalId, anonymousId, idempotencyKey, createdAt, source, json, bytes } };
  } catch (error) {
    const invalid =
      error instanceof Invalid
        ? error
        : new Invalid(
            'not_serialisable',
            `it could not be prepared (${error instanceof Error ? error.message : String(error)})`,
          );
    const name = typeof rawName === 'string' ? rawName : `<${describeKind(rawName)}>`;
    const rejection: RejectedOutcome = {
      outcome: 'rejected',
      event: {
        id,
        name,
        externalId,
        anonymousId,
        idempotencyKey,
        createdAt,
        ...(source !== undefined ? { source } : {}),
      },
      reason: invalid.reason,
      message: `Spotzee event ${describeEvent(name, source)} rejected: ${invalid.problem}.`,
    };
    if (invalid.param !== undefined) rejection.param = invalid.param;
    return { ok: false, rejection };
  }
}
