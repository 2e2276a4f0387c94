import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorStats, ReceivedEvent } from './emulator-records.js';

/** `GET` here lists what the emulator received, for a person with curl or a browser. */
export const RECEIVED_PATH = '/_emulator/events';

export interface ReceivedListingSource {
  readonly events: readonly ReceivedEvent[];
  stats(): EmulatorStats;
}

/**
 * Answers `GET /_emulator/events` (optionally `?name=order_placed`) with the accepted events, newest
 * last, and the counters; returns false for any other request. Not part of Spotzee's API: it is how
 * someone running the emulator from the command line sees what their app sent.
 */
export function answerReceivedListing(
  req: IncomingMessage,
  res: ServerResponse,
  source: ReceivedListingSource,
): boolean {
  const [path, query = ''] = (req.url ?? '/').split('?', 2);
  if (path !== RECEIVED_PATH) {
    return false;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${RECEIVED_PATH} only answers GET.\n`);
    return true;
  }
  const name = new URLSearchParams(query).get('name');
  const events = source.events
    .filter((received) => name === null || received.event.name === name)
    .map((received) => ({
      event: received.event,
      idempotencyKey: received.idempotencyKey,
      requestId: received.requestId,
      receivedAt: received.receivedAt.toISOString(),
      batchIndex: received.batchIndex,
    }));
  const body = JSON.stringify({ count: events.length, events, stats: source.stats() }, null, 2);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : `${body}\n`);
  return true;
}
