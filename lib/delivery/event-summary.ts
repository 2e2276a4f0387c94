import type { EventSummary, PreparedEvent } from './spotzee-event.js';

export function summarizeEvent(event: PreparedEvent): EventSummary {
  const summary: EventSummary = {
    id: event.id,
    name: event.name,
    externalId: event.externalId,
    anonymousId: event.anonymousId,
    idempotencyKey: event.idempotencyKey,
    createdAt: event.createdAt,
  };
  if (event.source !== undefined) summary.source = event.source;
  return summary;
}

/** How an event is named in messages: `"order_placed" from POST /orders`. */
export function describeEvent(name: string, source: string | undefined): string {
  const shown = name.length > 80 ? `${name.slice(0, 77)}...` : name;
  return source ? `"${shown}" from ${source}` : `"${shown}"`;
}
