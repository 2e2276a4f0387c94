import type { StoredEvent } from '../stored-records.js';
import { FRAME_HEADER_BYTES, sealFrame } from './log-frame.js';

/**
 * The record of one captured event, written by every `track()` before it returns: the file store's
 * hot path, so it is binary rather than JSON. The wire event's JSON goes in as it is (no second,
 * escaped copy); the small fields go in as one UTF-8 run with their lengths in a fixed table:
 *
 *     frame header (`log-frame.ts`), type 6
 *     seq (f64 LE) | enqueuedAt (f64 LE)
 *     7 × field length (u32 LE, in UTF-16 code units; 0xFFFFFFFF for null)
 *     id, name, externalId, anonymousId, idempotencyKey, createdAt, source, json   one UTF-8 run
 *
 * Lengths are in code units so the run is decoded with one `toString` and cut with `slice`. A field
 * holding a surrogate (an emoji in a contact id) is written by `log-record.ts` as JSON instead, which
 * keeps any string exactly: UTF-8 would turn a lone surrogate into U+FFFD.
 */
export const EVENT_FRAME = 6;

const FIELDS = 7;
const FIXED_BYTES = 16 + FIELDS * 4;
const NULL_LENGTH = 0xffffffff;
const SURROGATE = /[\uD800-\uDFFF]/;

/** The encode buffer is reused while it stays this small; a larger event gets a buffer of its own. */
const INITIAL_BUFFER_BYTES = 16 * 1024;
const KEPT_BUFFER_BYTES = 1024 * 1024;

/** The fields an event record keeps: the prepared event without `bytes` (measured again on load). */
export type EventFields = Omit<StoredEvent, 'seq' | 'enqueuedAt'>;

function lengthOf(field: string | null | undefined): number {
  return field === null || field === undefined ? NULL_LENGTH : field.length;
}

/**
 * Encodes event records into one buffer reused from call to call: no per-event allocation besides the
 * frame's view. A returned frame is valid until the next `encode()`, so it is written at once.
 */
export class EventFrameEncoder {
  #buffer = Buffer.allocUnsafe(INITIAL_BUFFER_BYTES);
  #view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength);

  /** The frame, or null when a field holds a surrogate (the caller writes the JSON form instead). */
  encode(event: EventFields, seq: number, enqueuedAt: number): Buffer | null {
    const { id, name, externalId, anonymousId, idempotencyKey, createdAt, source, json } = event;
    const fields =
      id + name + (externalId ?? '') + (anonymousId ?? '') + (idempotencyKey ?? '') + createdAt + (source ?? '');
    if (SURROGATE.test(fields)) return null;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const text = fields + json;
    const capacity = FRAME_HEADER_BYTES + FIXED_BYTES + 3 * text.length;
    let buffer = this.#buffer;
    let view = this.#view;
    if (capacity > buffer.length) {
      buffer = Buffer.allocUnsafe(capacity);
      view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      if (capacity <= KEPT_BUFFER_BYTES) {
        this.#buffer = buffer;
        this.#view = view;
      }
    }
    let at = FRAME_HEADER_BYTES;
    view.setFloat64(at, seq, true);
    view.setFloat64(at + 8, enqueuedAt, true);
    at += 16;
    view.setUint32(at, id.length, true);
    view.setUint32(at + 4, name.length, true);
    view.setUint32(at + 8, lengthOf(externalId), true);
    view.setUint32(at + 12, lengthOf(anonymousId), true);
    view.setUint32(at + 16, lengthOf(idempotencyKey), true);
    view.setUint32(at + 20, createdAt.length, true);
    view.setUint32(at + 24, lengthOf(source), true);
    at += FIELDS * 4;
    const end = at + buffer.write(text, at);
    return sealFrame(buffer.subarray(0, end), EVENT_FRAME);
  }
}

/** The event of a frame whose checksum already passed; null when its payload does not hold together. */
export function decodeEventFrame(bytes: Buffer, start: number, end: number): StoredEvent | null {
  if (end - start < FIXED_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, FIXED_BYTES);
  const text = bytes.toString('utf8', start + FIXED_BYTES, end);
  let at = 0;
  const field = (index: number): string | null => {
    const length = view.getUint32(16 + index * 4, true);
    if (length === NULL_LENGTH) return null;
    const value = text.slice(at, at + length);
    at += length;
    return value;
  };
  const id = field(0);
  const name = field(1);
  const externalId = field(2);
  const anonymousId = field(3);
  const idempotencyKey = field(4);
  const createdAt = field(5);
  const source = field(6);
  // Fields that run past the text (a corrupt length table) leave no JSON after them.
  if (id === null || name === null || createdAt === null || at >= text.length) return null;
  return {
    id,
    name,
    externalId,
    anonymousId,
    idempotencyKey,
    createdAt,
    source: source ?? undefined,
    json: text.slice(at),
    seq: view.getFloat64(0, true),
    enqueuedAt: view.getFloat64(8, true),
  };
}
