import type { DeduplicatedOutcome, DroppedOutcome, RejectedOutcome } from '../delivery/ledger/outcomes.js';
import { show } from './partial-match.js';
import type { RecordedEvent } from './recorded-event.js';

/** Enough to see what happened without drowning the failure in a long test's history. */
const MAX_LISTED = 20;

export interface RecorderSnapshot {
  readonly records: readonly RecordedEvent[];
  readonly rejections: readonly RejectedOutcome[];
  readonly dropped: readonly DroppedOutcome[];
  readonly deduplicated: readonly DeduplicatedOutcome[];
  readonly openRequests: number;
}

/** `order_placed external_id="7" data={"total":25}  (POST /orders)`: one event, one line. */
export function describeRecord({ event, idempotencyKey, source }: RecordedEvent): string {
  const parts = [event.name];
  for (const field of ['external_id', 'anonymous_id', 'data', 'user'] as const) {
    if (event[field] !== undefined) {
      parts.push(`${field}=${show(event[field])}`);
    }
  }
  if (idempotencyKey !== null) {
    parts.push(`idempotencyKey=${show(idempotencyKey)}`);
  }
  return source ? `${parts.join(' ')}  (${source})` : parts.join(' ');
}

/**
 * The part of every failure message that says what DID happen: recorded events, events refused at
 * capture, events dropped, repeats of an idempotency key not recorded again, and requests whose verdict is still pending.
 */
export function describeRecorder(snapshot: RecorderSnapshot): string {
  const lines: string[] = [];
  const list = <T>(title: string, items: readonly T[], line: (item: T, index: number) => string): void => {
    if (items.length === 0) {
      return;
    }
    lines.push(`${title} (${items.length}):`);
    items.slice(0, MAX_LISTED).forEach((item, index) => lines.push(`  ${line(item, index)}`));
    if (items.length > MAX_LISTED) {
      lines.push(`  … and ${items.length - MAX_LISTED} more`);
    }
  };
  if (snapshot.records.length === 0) {
    lines.push('No Spotzee events were recorded.');
  }
  list('Recorded Spotzee events', snapshot.records, (record, index) => `${index + 1}. ${describeRecord(record)}`);
  list(
    'Rejected at capture',
    snapshot.rejections,
    (outcome) => `- ${outcome.event.name} (${outcome.reason}): ${outcome.message}`,
  );
  list('Dropped', snapshot.dropped, (outcome) => `- ${outcome.event.name} (${outcome.reason}): ${outcome.message}`);
  list(
    'Deduplicated (idempotencyKey captured already; not failures)',
    snapshot.deduplicated,
    (outcome) => `- ${outcome.event.name} (${outcome.idempotencyKey})`,
  );
  if (snapshot.openRequests > 0) {
    const requests = snapshot.openRequests === 1 ? '1 request is' : `${snapshot.openRequests} requests are`;
    lines.push(
      `${requests} still being handled: their events are recorded when the response finishes. ` +
        'Wait for them with `await recorder.waitFor(name)` or `await recorder.settled()` before asserting.',
    );
  }
  return lines.join('\n');
}
