import { randomBytes } from 'node:crypto';
import { blankControlCharacters } from './control-characters.js';
import type { EventSummary, PreparedEvent, TrackInput } from './spotzee-event.js';

/**
 * Ids feed batch idempotency keys, so they must never repeat across processes (two instances sending
 * `evt_1..evt_100` under one key with different bodies would be a 409 mismatch), nor across the ESM and
 * CommonJS copies of this module in one process. A random prefix per module instance plus a counter
 * gives that without a random draw per event.
 */
const PREFIX = `evt_${randomBytes(9).toString('base64url')}`;
let counter = 0;

export function mintEventId(): string {
  counter += 1;
  return `${PREFIX}${counter.toString(36)}`;
}

export function summarizeEvent(event: PreparedEvent): EventSummary {
  const summary: EventSummary = {
    id: event.id,
    name: event.name,
    externalId: event.externalId,
    anonymousId: event.anonymousId,
    idempotencyKey: event.idempotencyKey,
    createdAt: event.createdAt,
  };
  if (event.source !== undefined) summary.source = event.source;
  return summary;
}

/**
 * What an outcome says about an event known only by its input: one refused or reserved before it was
 * prepared (a full queue, a mapper that threw, a schema still checking). A fresh id from the one id
 * scheme; the ids, key and time as given when they have the right type; never throws on any input.
 */
export function summarizeInput(input: TrackInput, now: number): EventSummary {
  const safe: Partial<TrackInput> = input !== null && typeof input === 'object' ? input : {};
  const summary: EventSummary = {
    id: mintEventId(),
    name: typeof safe.name === 'string' ? safe.name : String(safe.name),
    externalId: idOrNull(safe.externalId),
    anonymousId: idOrNull(safe.anonymousId),
    idempotencyKey: typeof safe.idempotencyKey === 'string' && safe.idempotencyKey !== '' ? safe.idempotencyKey : null,
    createdAt: isoOr(safe.createdAt, now),
  };
  if (typeof safe.source === 'string') summary.source = safe.source;
  return summary;
}

function idOrNull(id: unknown): string | null {
  if (typeof id === 'string') return id === '' ? null : id;
  return (typeof id === 'number' && Number.isFinite(id)) || typeof id === 'bigint' ? String(id) : null;
}

/** A valid Date as ISO-8601, a string as given (prepare is what checks it), anything else the capture time. */
function isoOr(createdAt: TrackInput['createdAt'], now: number): string {
  if (createdAt instanceof Date && !Number.isNaN(createdAt.getTime())) return createdAt.toISOString();
  return typeof createdAt === 'string' ? createdAt : new Date(now).toISOString();
}

/**
 * How an event is named in messages: `"order_placed" from POST /orders`. Quoted as JSON and stripped of
 * control characters, so a hostile name cannot forge extra log lines.
 */
export function describeEvent(name: string, source: string | undefined): string {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
  return source ? `${shown} from ${blankControlCharacters(source)}` : shown;
}
