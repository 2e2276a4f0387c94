import type { SpotzeeUserBlock, SpotzeeWireEvent } from '../delivery/prepare/spotzee-event.js';
import { findMismatch, show } from './partial-match.js';
import type { RecordedEvent } from './recorded-event.js';

/**
 * What a recorded event must look like. Every field is optional; `data` and `user` match partially
 * and deeply (only the keys given are compared), ids and the idempotency key exactly. Values may be
 * asymmetric matchers such as `expect.any(String)`.
 */
export interface EventExpectation {
  data?: Record<string, unknown> | null | AsymmetricMatcherLike;
  externalId?: string | null | AsymmetricMatcherLike;
  anonymousId?: string | null | AsymmetricMatcherLike;
  user?: Partial<Record<keyof SpotzeeUserBlock, unknown>> | AsymmetricMatcherLike;
  idempotencyKey?: string | null | AsymmetricMatcherLike;
}

/** `expect.any(String)`, `expect.stringMatching(/^ord_/)`: any runner's matcher with this method works. */
export interface AsymmetricMatcherLike {
  asymmetricMatch(other: unknown): boolean;
}

/** An expectation object, or a predicate over the wire event and its record. */
export type EventMatch = EventExpectation | ((event: SpotzeeWireEvent, record: RecordedEvent) => boolean);

const EXPECTATION_KEYS: ReadonlyArray<keyof EventExpectation> = [
  'data',
  'externalId',
  'anonymousId',
  'user',
  'idempotencyKey',
];

/** Why the record does not match (one line), or undefined when it does. */
export function explainMismatch(record: RecordedEvent, match: EventMatch | undefined): string | undefined {
  if (match === undefined) {
    return undefined;
  }
  if (typeof match === 'function') {
    return match(record.event, record) ? undefined : 'the predicate returned false';
  }
  for (const key of Object.keys(match)) {
    if (!(EXPECTATION_KEYS as readonly string[]).includes(key)) {
      // A typo such as `externalID` would otherwise match everything and hide a broken test.
      return `unknown expectation key "${key}" (use ${EXPECTATION_KEYS.join(', ')})`;
    }
  }
  const { event } = record;
  const checks: Array<[keyof EventExpectation, unknown, string]> = [
    ['externalId', event.external_id ?? null, 'external_id'],
    ['anonymousId', event.anonymous_id ?? null, 'anonymous_id'],
    ['idempotencyKey', record.idempotencyKey, 'idempotencyKey'],
    ['data', event.data ?? null, 'data'],
    ['user', event.user, 'user'],
  ];
  for (const [key, actual, path] of checks) {
    if (match[key] === undefined) {
      continue;
    }
    const mismatch = findMismatch(actual, match[key], path);
    if (mismatch) {
      return mismatch;
    }
  }
  return undefined;
}

export function describeMatch(match: EventMatch | undefined): string {
  if (match === undefined) {
    return 'anything';
  }
  return typeof match === 'function' ? `the predicate ${match.name || '(anonymous)'}` : show(match);
}
