import { crc32 } from 'node:zlib';
import type { StoredBatch, StoredEvent } from '../stored-records.js';
import { decodeEventFrame, EVENT_FRAME } from './event-frame.js';
import { FRAME_HEADER_BYTES, sealFrame } from './log-frame.js';

/**
 * The records of the append-only log, each one frame (`log-frame.ts`) with a JSON payload, except:
 *
 * A batch whose body is its events' JSON joined (every batch the engine freezes) is written as
 * `BatchBody`: a JSON header, a newline, then the body's bytes as they are sent, each event's JSON
 * given by its byte length in the body rather than a second, escaped copy. That is about a third of
 * the bytes, and no escaping of the body, on every batch of a drain.
 *
 * A captured event is written as a binary frame of its own (`event-frame.ts`), the hot path of every
 * `track()`; the JSON form below is kept for the rare event whose fields hold a surrogate, and read
 * back as before.
 */

/** Refuses lengths no record can have, so a corrupt length never makes recovery allocate gigabytes. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export const RecordType = {
  /** An event was captured. */
  Event: 1,
  /** Events were frozen into a batch (body and key kept). The events leave the queue. */
  Batch: 2,
  /** A batch got its final outcome (delivered, rejected or dropped): it is done. */
  BatchDone: 3,
  /** Queued events got an outcome without a batch (dropped from the queue). */
  EventsDone: 4,
} as const;

/** The frame type of a batch written with its body raw (see above); decoded as a `Batch` record. */
const BATCH_BODY_FRAME = 5;
const NEWLINE = 0x0a;

export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export type LogRecord =
  | { type: typeof RecordType.Event; event: StoredEvent }
  | { type: typeof RecordType.Batch; batch: StoredBatch }
  | { type: typeof RecordType.BatchDone; batchId: string }
  | { type: typeof RecordType.EventsDone; eventIds: string[] };

type EventTuple = [
  string,
  string,
  string | null,
  string | null,
  string | null,
  string,
  string | null,
  string,
  number,
  number,
];

function eventTuple(event: StoredEvent): EventTuple {
  return [
    event.id,
    event.name,
    event.externalId,
    event.anonymousId,
    event.idempotencyKey,
    event.createdAt,
    event.source ?? null,
    event.json,
    event.seq,
    event.enqueuedAt,
  ];
}

function eventFromTuple(tuple: EventTuple): StoredEvent {
  const [id, name, externalId, anonymousId, idempotencyKey, createdAt, source, json, seq, enqueuedAt] = tuple;
  return {
    id,
    name,
    externalId,
    anonymousId,
    idempotencyKey,
    createdAt,
    source: source ?? undefined,
    json,
    seq,
    enqueuedAt,
  };
}

function payloadOf(record: LogRecord): string {
  switch (record.type) {
    case RecordType.Event:
      // A positional array: smaller than an object with field names, and this runs once per event.
      return JSON.stringify(eventTuple(record.event));
    case RecordType.Batch: {
      const { id, key, body, events } = record.batch;
      return JSON.stringify([id, key, body.toString('utf8'), events.map(eventTuple)]);
    }
    case RecordType.BatchDone:
      return JSON.stringify(record.batchId);
    case RecordType.EventsDone:
      return JSON.stringify(record.eventIds);
  }
}

/**
 * Each event's JSON as its byte length in the body, when the body is exactly `[json,json,…]` (how the
 * engine builds every body); null otherwise, and the batch is written with the JSON copies.
 */
function bodyLayout(batch: StoredBatch): number[] | null {
  const { body, events } = batch;
  if (events.length === 0 || body[0] !== 0x5b || body[body.length - 1] !== 0x5d) return null;
  const lengths = events.map((event) => Buffer.byteLength(event.json));
  let expected = 1 + events.length;
  for (const length of lengths) expected += length;
  if (expected !== body.length) return null;
  let position = 1;
  for (const length of lengths) {
    position += length;
    if (body[position] !== (position === body.length - 1 ? 0x5d : 0x2c)) return null;
    position += 1;
  }
  return lengths;
}

function encodeBatchBody(batch: StoredBatch, lengths: number[]): Buffer {
  const { id, key, body, events } = batch;
  const header = JSON.stringify([
    id,
    key,
    events.map((event, i) => [...eventTuple(event).slice(0, 7), lengths[i], event.seq, event.enqueuedAt]),
  ]);
  const headerBytes = Buffer.byteLength(header);
  const length = headerBytes + 1 + body.length;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame.write(header, FRAME_HEADER_BYTES, 'utf8');
  frame[FRAME_HEADER_BYTES + headerBytes] = NEWLINE;
  body.copy(frame, FRAME_HEADER_BYTES + headerBytes + 1);
  return sealFrame(frame, BATCH_BODY_FRAME);
}

/** The record as the bytes appended to the log. */
export function encodeRecord(record: LogRecord): Buffer {
  if (record.type === RecordType.Batch) {
    const lengths = bodyLayout(record.batch);
    if (lengths !== null) return encodeBatchBody(record.batch, lengths);
  }
  const payload = payloadOf(record);
  const length = Buffer.byteLength(payload);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame.write(payload, FRAME_HEADER_BYTES, 'utf8');
  return sealFrame(frame, record.type);
}

/** Why reading stopped before the end of the bytes. */
export type FrameProblem = 'truncated_header' | 'truncated_record' | 'bad_length' | 'bad_checksum' | 'bad_payload';

export type DecodeResult = { ok: true; record: LogRecord; next: number } | { ok: false; problem: FrameProblem };

/** Decodes the record starting at `offset`; `ok: false` marks where whole records end. */
export function decodeRecord(bytes: Buffer, offset: number): DecodeResult {
  if (bytes.length - offset < FRAME_HEADER_BYTES) return { ok: false, problem: 'truncated_header' };
  const length = bytes.readUInt32LE(offset);
  if (length > MAX_RECORD_BYTES) return { ok: false, problem: 'bad_length' };
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > bytes.length) return { ok: false, problem: 'truncated_record' };
  if (crc32(bytes.subarray(offset + 8, end)) !== bytes.readUInt32LE(offset + 4)) {
    return { ok: false, problem: 'bad_checksum' };
  }
  const frameType = bytes.readUInt8(offset + 8);
  if (frameType === EVENT_FRAME) {
    const event = decodeEventFrame(bytes, offset + FRAME_HEADER_BYTES, end);
    return event === null
      ? { ok: false, problem: 'bad_payload' }
      : { ok: true, record: { type: RecordType.Event, event }, next: end };
  }
  if (frameType === BATCH_BODY_FRAME) return decodeBatchBody(bytes, offset + FRAME_HEADER_BYTES, end);
  const type = frameType as RecordType;
  try {
    const payload: unknown = JSON.parse(bytes.toString('utf8', offset + FRAME_HEADER_BYTES, end));
    const record = recordFromPayload(type, payload);
    return record === null ? { ok: false, problem: 'bad_payload' } : { ok: true, record, next: end };
  } catch {
    return { ok: false, problem: 'bad_payload' };
  }
}

function decodeBatchBody(bytes: Buffer, start: number, end: number): DecodeResult {
  const newline = bytes.indexOf(NEWLINE, start);
  if (newline < 0 || newline >= end) return { ok: false, problem: 'bad_payload' };
  try {
    const [id, key, tuples] = JSON.parse(bytes.toString('utf8', start, newline)) as [string, string, EventTuple[]];
    // A copy: the body must not keep a whole segment read at recovery alive.
    const body = Buffer.from(bytes.subarray(newline + 1, end));
    let position = 1;
    const events = tuples.map((tuple) => {
      const length = tuple[7] as unknown as number;
      const json = body.toString('utf8', position, position + length);
      position += length + 1;
      return eventFromTuple([...tuple.slice(0, 7), json, tuple[8], tuple[9]] as EventTuple);
    });
    if (typeof id !== 'string' || typeof key !== 'string' || position !== body.length) {
      return { ok: false, problem: 'bad_payload' };
    }
    return { ok: true, record: { type: RecordType.Batch, batch: { id, key, body, events } }, next: end };
  } catch {
    return { ok: false, problem: 'bad_payload' };
  }
}

function recordFromPayload(type: RecordType, payload: unknown): LogRecord | null {
  switch (type) {
    case RecordType.Event:
      return Array.isArray(payload) ? { type, event: eventFromTuple(payload as EventTuple) } : null;
    case RecordType.Batch: {
      if (!Array.isArray(payload)) return null;
      const [id, key, body, events] = payload as [string, string, string, EventTuple[]];
      return { type, batch: { id, key, body: Buffer.from(body, 'utf8'), events: events.map(eventFromTuple) } };
    }
    case RecordType.BatchDone:
      return typeof payload === 'string' ? { type, batchId: payload } : null;
    case RecordType.EventsDone:
      return Array.isArray(payload) ? { type, eventIds: payload as string[] } : null;
    default:
      return null;
  }
}
