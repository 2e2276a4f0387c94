import { randomBytes } from 'node:crypto';

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
