import type { StoredBatch, StoredEvent } from '../../../lib/stores/stored-records.js';

let counter = 0;

/** A stored event with a unique id; `json` is a real wire event so batch bodies are valid JSON. */
export function storedEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  counter += 1;
  const id = overrides.id ?? `evt_test${counter}`;
  return {
    id,
    name: 'order_placed',
    externalId: 'usr_1',
    anonymousId: null,
    idempotencyKey: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    source: undefined,
    json: JSON.stringify({ name: 'order_placed', external_id: 'usr_1', data: { id } }),
    seq: counter,
    enqueuedAt: 0,
    ...overrides,
  };
}

export function storedBatch(id: string, events: readonly StoredEvent[]): StoredBatch {
  return { id, key: `spz_${id}`, body: Buffer.from(`[${events.map((event) => event.json).join(',')}]`), events };
}
