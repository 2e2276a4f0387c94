import type { SpotzeeWireEvent } from 'nestjs-spotzee';

/** What the journey expects Spotzee to receive; `data` lists only the keys worth checking. */
export interface ExpectedEvent {
  name: string;
  externalId: string;
  anonymousId: string | null;
  data: Record<string, unknown>;
}

/**
 * Each expected event must match a distinct received event (name, both ids, the listed data keys),
 * and nothing else may have been received. Returns one line per problem; empty means all good.
 */
export function findJourneyMismatches(
  expected: readonly ExpectedEvent[],
  received: readonly SpotzeeWireEvent[],
): string[] {
  const unmatched = [...received];
  const problems: string[] = [];
  for (const want of expected) {
    const index = unmatched.findIndex((event) => matches(want, event));
    if (index === -1) problems.push(`missing ${describe(want)}`);
    else unmatched.splice(index, 1);
  }
  for (const extra of unmatched) {
    problems.push(
      `unexpected ${extra.name} (external_id=${extra.external_id ?? '-'}, data=${JSON.stringify(extra.data ?? null)})`,
    );
  }
  return problems;
}

function matches(want: ExpectedEvent, event: SpotzeeWireEvent): boolean {
  return (
    event.name === want.name &&
    (event.external_id ?? null) === want.externalId &&
    (event.anonymous_id ?? null) === want.anonymousId &&
    Object.entries(want.data).every(([key, value]) => JSON.stringify(event.data?.[key]) === JSON.stringify(value))
  );
}

function describe(want: ExpectedEvent): string {
  return `${want.name} (external_id=${want.externalId}, anonymous_id=${want.anonymousId ?? '-'}, data ⊇ ${JSON.stringify(want.data)})`;
}
