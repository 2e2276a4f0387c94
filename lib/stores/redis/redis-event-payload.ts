import type { QueuedEvent } from '../../delivery/queue/event-queue-store.js';
import type { StoredEvent } from '../stored-records.js';

/**
 * A queued event as the value of its field (its id) in a replica's events hash. Written on every
 * capture, so it is built by concatenation rather than `JSON.stringify`, which would escape every
 * quote of the wire event's JSON a second time:
 *
 *     seq,enqueuedAt,|name|,|externalId|,|anonymousId|,|idempotencyKey|,|createdAt|,|source|;
 *     name externalId anonymousId idempotencyKey createdAt source json       (no separators)
 *
 * where |x| is the field's length in UTF-16 code units, left empty for null. Values written as a JSON
 * object (a replica of an earlier version, during a rolling deploy) are still read.
 */
function lengthOf(field: string | null | undefined): number | '' {
  return field === null || field === undefined ? '' : field.length;
}

export function encodeEventPayload(entry: QueuedEvent): string {
  const { name, externalId, anonymousId, idempotencyKey, createdAt, source, json } = entry.event;
  return (
    `${entry.seq},${entry.enqueuedAt},${name.length},${lengthOf(externalId)},${lengthOf(anonymousId)},` +
    `${lengthOf(idempotencyKey)},${createdAt.length},${lengthOf(source)};` +
    name +
    (externalId ?? '') +
    (anonymousId ?? '') +
    (idempotencyKey ?? '') +
    createdAt +
    (source ?? '') +
    json
  );
}

const HEADER = /^([^,;]+),([^,;]+),(\d+),(\d*),(\d*),(\d*),(\d+),(\d*);/;

/** The stored event of field `id`; throws on a value that is neither form. */
export function decodeEventPayload(id: string, payload: string): StoredEvent {
  if (payload.startsWith('{')) return JSON.parse(payload) as StoredEvent;
  const header = HEADER.exec(payload);
  if (header === null) throw new Error(`the stored event ${id} is not readable`);
  let at = header[0].length;
  const field = (length: string): string | null => {
    if (length === '') return null;
    const value = payload.slice(at, at + Number(length));
    at += Number(length);
    return value;
  };
  const name = field(header[3]!)!;
  const externalId = field(header[4]!);
  const anonymousId = field(header[5]!);
  const idempotencyKey = field(header[6]!);
  const createdAt = field(header[7]!)!;
  const source = field(header[8]!) ?? undefined;
  const seq = Number(header[1]);
  const enqueuedAt = Number(header[2]);
  if (at >= payload.length || !Number.isFinite(seq) || !Number.isFinite(enqueuedAt)) {
    throw new Error(`the stored event ${id} is not readable`);
  }
  return {
    id,
    name,
    externalId,
    anonymousId,
    idempotencyKey,
    createdAt,
    source,
    json: payload.slice(at),
    seq,
    enqueuedAt,
  };
}
