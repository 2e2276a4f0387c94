import type { FaultKind } from '../emulator-fault.js';
import type { RequestRecord } from '../emulator-records.js';

/** Raw JSON shown per event is cut here: the page is for looking, `emulator.events` for asserting. */
const MAX_RAW_EVENT_CHARS = 16 * 1024;
/** A batch holds at most 100 events; anything beyond is not a valid batch and is summarised. */
const MAX_EVENTS_SHOWN = 100;

/** One event of a request body, as the inspector page shows it. Every field is data to escape. */
export interface InspectedEvent {
  index: number;
  name: string | null;
  externalId: string | null;
  anonymousId: string | null;
  createdAt: string | null;
  data: unknown;
  user: unknown;
  /** The item exactly as sent, pretty-printed (cut at 16 KiB). */
  raw: string;
}

/** One finished request, as the page shows it. */
export interface InspectedRequest {
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  status: number | null;
  code: string | null;
  replayed: boolean;
  fault: FaultKind | null;
  idempotencyKey: string | null;
  /** How many requests with this key the inspector saw, this one included (1 = first attempt). */
  attempt: number;
  durationMs: number;
  bodyBytes: number;
  acceptedEvents: number;
  aborted: boolean;
  requestId: string;
  /** Items in the body when it is a JSON array, else null. */
  batchSize: number | null;
  events: InspectedEvent[];
  /** Why the events are not listed (not JSON, not an array…), if they are not. */
  bodyNote: string | null;
}

/** Parses what a request carried into what the page lists. Never throws: bodies are untrusted input. */
export function inspectRequest(record: RequestRecord, attempt: number): InspectedRequest {
  const parsed = parseEvents(record.body);
  return {
    seq: record.seq,
    receivedAt: record.receivedAt.toISOString(),
    method: record.method,
    path: record.path,
    status: record.status,
    code: record.code ?? null,
    replayed: record.replayed,
    fault: record.fault ?? null,
    idempotencyKey: record.idempotencyKey,
    attempt,
    durationMs: Math.round(record.durationMs * 10) / 10,
    bodyBytes: record.bodyBytes,
    acceptedEvents: record.acceptedEvents,
    aborted: record.aborted,
    requestId: record.requestId,
    batchSize: parsed.batchSize,
    events: parsed.events,
    bodyNote: parsed.note,
  };
}

function parseEvents(body: string): { batchSize: number | null; events: InspectedEvent[]; note: string | null } {
  if (body.length === 0) return { batchSize: null, events: [], note: 'empty body' };
  let items: unknown;
  try {
    items = JSON.parse(body);
  } catch {
    return { batchSize: null, events: [], note: 'the body is not JSON' };
  }
  if (!Array.isArray(items)) return { batchSize: null, events: [], note: 'the body is not a JSON array' };
  const events = items.slice(0, MAX_EVENTS_SHOWN).map((item, index) => inspectEvent(item, index));
  const note = items.length > MAX_EVENTS_SHOWN ? `only the first ${MAX_EVENTS_SHOWN} items are listed` : null;
  return { batchSize: items.length, events, note };
}

function inspectEvent(item: unknown, index: number): InspectedEvent {
  const fields =
    item !== null && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : {};
  let raw = JSON.stringify(item, null, 2) ?? String(item);
  if (raw.length > MAX_RAW_EVENT_CHARS) raw = `${raw.slice(0, MAX_RAW_EVENT_CHARS)}\n… (${raw.length} characters)`;
  return {
    index,
    name: text(fields.name),
    externalId: text(fields.external_id),
    anonymousId: text(fields.anonymous_id),
    createdAt: text(fields.created_at),
    data: fields.data ?? null,
    user: fields.user ?? null,
    raw,
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
