import { isPlainObject } from './delivery/index.js';

/**
 * A copy of event data as it is now, for events whose capture finishes later (an async schema,
 * mapper or contact resolver): what is sent is the data at the moment of the call, not whatever the
 * caller changed afterwards. Plain objects and arrays are copied (cycles kept as cycles); anything
 * else (Dates, class instances with their own `toJSON`) is kept by reference, so it serialises
 * exactly as it would have.
 */
export function snapshotData(value: unknown): unknown {
  return copy(value, new Map<object, unknown>());
}

function copy(value: unknown, seen: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const done = seen.get(value);
  if (done !== undefined) {
    return done;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) {
      out.push(copy(item, seen));
    }
    return out;
  }
  if (!isPlainObject(value)) {
    return value;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) {
    out[key] = copy(value[key], seen);
  }
  return out;
}
