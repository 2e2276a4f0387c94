import { crc32 } from 'node:zlib';
import type { StoredBatch, StoredEvent } from '../stored-records.js';

/**
 * One framed record of the append-only log:
 *
 *     length (u32 LE, payload bytes) | crc32 (u32 LE, over type + payload) | type (u8) | payload (JSON)
 *
 * The checksum is what tells a torn write (the process or machine died mid-record) from a record, so
 * recovery can stop at the last whole record instead of reading garbage as an event.
 */
const FRAME_HEADER_BYTES = 9;

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

/** The record as the bytes appended to the log. */
export function encodeRecord(record: LogRecord): Buffer {
  const payload = payloadOf(record);
  const length = Buffer.byteLength(payload);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame.writeUInt8(record.type, 8);
  frame.write(payload, FRAME_HEADER_BYTES, 'utf8');
  frame.writeUInt32LE(length, 0);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
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
  const type = bytes.readUInt8(offset + 8) as RecordType;
  try {
    const payload: unknown = JSON.parse(bytes.toString('utf8', offset + FRAME_HEADER_BYTES, end));
    const record = recordFromPayload(type, payload);
    return record === null ? { ok: false, problem: 'bad_payload' } : { ok: true, record, next: end };
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
