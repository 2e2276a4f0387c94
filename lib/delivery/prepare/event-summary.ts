import { blankControlCharacters } from './control-characters.js';
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

/**
 * How an event is named in messages: `"order_placed" from POST /orders`. Quoted as JSON and stripped of
 * control characters, so a hostile name cannot forge extra log lines.
 */
export function describeEvent(name: string, source: string | undefined): string {
  const shown = JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
  return source ? `${shown} from ${blankControlCharacters(source)}` : shown;
}
