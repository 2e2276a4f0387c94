import type { SpotzeeProblem } from './dispatch/spotzee-problem.js';
import type { DropReason } from './ledger/outcomes.js';
import { describeEvent } from './prepare/event-summary.js';

/**
 * Every log line the engine writes, in one place so the wording stays consistent: one line per problem,
 * naming the batch, the server's status, code and request_id, and what happens next.
 */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A span as a person reads it: seconds under two minutes, then minutes, then hours. */
export function duration(ms: number): string {
  if (ms < 120_000) return seconds(ms);
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function were(count: number): string {
  return count === 1 ? 'was' : 'were';
}

export interface BatchRef {
  key: string;
  size: number;
  bytes: number;
}

export const DeliveryMessages = {
  /** An outcome's message: `Spotzee event "order_placed" from POST /orders not queued: …`. */
  eventOutcome: (name: string, source: string | undefined, why: string) =>
    `Spotzee event ${describeEvent(name, source)} ${why}`,

  // Why an event was dropped: each completes eventOutcome's sentence.
  dropShutDown: () => 'not queued: the Spotzee engine is shut down.',
  dropStillValidating: () => 'not queued: it was still being validated when the Spotzee engine shut down.',
  alreadyCaptured: (key: string, { byAnotherInstance = false }: { byAnotherInstance?: boolean } = {}) =>
    `not sent again: idempotencyKey "${key}" was already captured${byAnotherInstance ? ' by another instance' : ''} within the dedupe window.`,
  dropQueueFull: (overflow: string) => `not queued: the queue is full (overflow policy ${overflow}).`,
  dropEvicted: () => 'dropped to make room for newer events: the queue is full (overflow policy drop-oldest).',
  dropStoreFailed: (detail: string) => `not queued: the event store failed to keep it (${detail}).`,
  dropRetriesExhausted: (why: string, failure: string) => `dropped ${why} (last: ${failure}).`,
  dropAtDeadline: (why: string) => `not delivered: ${why}.`,

  // Why the drain gave up on what was left (dropAtDeadline's `why`).
  deadlinePassed: () => 'the shutdown deadline passed',
  deadlineUnreachable: () => 'nothing more could be sent before the shutdown deadline',
  deadlineWhileHalted: (why: string) => `${why} (Spotzee had refused the API key)`,
  deadlineWhileRateLimited: (why: string) => `${why} (Spotzee was rate limiting)`,

  /** One line per burst of drops, with a few of the event names. */
  droppedSummary: (total: number, parts: readonly string[], names: readonly string[]) =>
    `Spotzee dropped ${plural(total, 'event')}: ${parts.join(', ')}. Events included ${names.map((name) => `"${name}"`).join(', ')}.`,
  droppedReason: (reason: DropReason, count: number, detail: string) => `${count} ${reason}${detail}`,
  queueLimits: (maxEvents: number, maxBytes: number, overflow: string) =>
    ` (queue limit ${maxEvents} events / ${maxBytes} bytes, overflow ${overflow})`,

  discarded: (count: number, reason: string) => `Spotzee discarded ${count} event(s): ${reason}.`,
  discardedSummary: (count: number, example: string) =>
    `Spotzee discarded ${plural(count, 'event')} of failed requests (commit-on-success; e.g. ${example}).`,

  flushTimeout: (value: unknown) => `flush({ timeoutMs }) expects a finite number of ms ≥ 0, got ${String(value)}.`,

  keyShape: () =>
    'The Spotzee apiKey does not start with sk_; Spotzee secret keys do. Check that the right key is configured.',

  storeFailed: (operation: string, detail: string) =>
    `The Spotzee event store failed (${operation}): ${detail}. Delivery carries on; check the store.`,

  listenerThrew: (type: string, detail: string) =>
    `A Spotzee '${type}' listener threw: ${detail}. The engine carried on; fix the listener.`,

  /** How a failed answer is quoted in every line and error about it. */
  failure: (status: number, problem: SpotzeeProblem, requestId: string | null) => {
    const message = problem.message ?? problem.title;
    return `HTTP ${status} ${problem.code ?? 'no code'}${message ? ` "${message}"` : ''} (request_id ${requestId ?? 'none'})`;
  },

  dryRun: (batch: BatchRef, preview: string) =>
    `Dry run: batch ${batch.key} (${plural(batch.size, 'event')}, ${batch.bytes} bytes) not sent: ${preview}`,

  retrying: (batch: BatchRef, failure: string, attempt: string, delayMs: number, budgetLeftMs: number) =>
    `Spotzee batch ${batch.key} (${plural(batch.size, 'event')}) failed: ${failure}, attempt ${attempt}; retrying in ${seconds(delayMs)} (retry budget left: ${duration(budgetLeftMs)}).`,

  exhausted: (batch: BatchRef, failure: string, attempts: number, why: string) =>
    `Spotzee batch ${batch.key} (${plural(batch.size, 'event')}) failed: ${failure}, attempt ${attempts}; giving up ${why}, its events are dropped (retries_exhausted).`,

  paused: (failure: string, pauseMs: number, askedMs: number | null, capped: boolean, capMs: number) =>
    `Spotzee asked to slow down: ${failure}; pausing all sending for ${seconds(pauseMs)}` +
    (capped && askedMs !== null ? ` (it asked for ${seconds(askedMs)}; capped by rateLimitMaxMs ${capMs} ms)` : '') +
    '. Further pauses before the next delivery are not logged.',

  retryAfterCapped: (askedMs: number, capMs: number) =>
    ` (Retry-After ${seconds(askedMs)} capped by retryMaxMs ${capMs} ms)`,

  haltHint: (status: number, code: string | null, apiVersion: string, baseUrl: string, url: string) =>
    status >= 200 && status < 300
      ? `Something other than Spotzee's API answered at ${url} (a proxy, a captive portal, a login page?): check baseUrl (${baseUrl}).`
      : status === 401 || status === 403
        ? 'Spotzee refused the API key: check that apiKey is a valid secret key (sk_…) for this project.'
        : status === 402
          ? "Spotzee refused the request for billing reasons: check the project's plan."
          : code === 'version_unsupported' || code === 'version_required'
            ? `Spotzee does not support apiVersion ${apiVersion}: pin a supported Spotzee-Version.`
            : status === 400 || status === 422
              ? `Spotzee refused the request itself, not its events: check apiVersion (${apiVersion}) and that no proxy rewrites the request's headers.`
              : `Check baseUrl (${baseUrl}): requests go to ${url}.`,

  notSpotzee: (status: number, contentType: string | null, requestId: string | null) =>
    `HTTP ${status} with a ${contentType ?? 'non-JSON'} body instead of Spotzee's JSON (request_id ${requestId ?? 'none'})`,

  rekeyed: (oldKey: string, newKey: string) =>
    `Spotzee replayed a stored refusal for batch ${oldKey} (Idempotent-Replayed: true): probing again under the new key ${newKey}, so a fixed key or plan can be seen.`,

  halted: (reason: string, probeIntervalMs: number) =>
    `Spotzee delivery HALTED: ${reason}. Sending has stopped; events stay queued (up to maxQueueEvents) and a probe retries every ${seconds(probeIntervalMs)}.`,

  resumed: () => 'Spotzee accepted requests again: delivery resumed.',

  mismatch: (batch: BatchRef, requestId: string | null) =>
    `Spotzee answered 409 idempotency_key_mismatch for batch ${batch.key} (request_id ${requestId ?? 'none'}): that key was used before with a different body. ` +
    'If these events carry explicit idempotency keys, the same domain event was probably sent already (by another instance, or after the dedupe window) with different content; ' +
    `otherwise this is a bug in nestjs-spotzee, please report it. The ${plural(batch.size, 'event')} ${were(batch.size)} rejected, never resent.`,

  refused: (batch: BatchRef, failure: string) =>
    `Spotzee refused batch ${batch.key}: ${failure}. Not retrying (Spotzee asks clients not to retry this status); its ${plural(batch.size, 'event')} ${were(batch.size)} rejected.`,

  eventRejected: (event: string, failure: string) => `Spotzee rejected event ${event}: ${failure}.`,

  itemRejected: (event: string, text: string, code: string, requestId: string | null) =>
    `Spotzee rejected event ${event}: ${text} (code ${code}, request_id ${requestId ?? 'none'}). Fix the event's content.`,

  itemsRejected: (
    batch: BatchRef,
    rejected: number,
    status: number,
    code: string | null,
    requestId: string | null,
    details: string[],
    kept: number,
  ) =>
    `Spotzee rejected ${rejected} of ${plural(batch.size, 'event')} in batch ${batch.key} (HTTP ${status} ${code ?? 'no code'}, request_id ${requestId ?? 'none'}): ` +
    `${details.join('; ')}${rejected > details.length ? `; and ${rejected - details.length} more` : ''}.` +
    (kept > 0 ? ` Resending the other ${kept} as a new batch.` : ''),

  splitting: (batch: BatchRef, failure: string) =>
    `Spotzee refused batch ${batch.key} without naming events (${failure}); splitting its ${batch.size} events to isolate the invalid ones.`,

  splitSummary: (family: {
    rootKey: string;
    rootSize: number;
    rejected: number;
    requests: number;
    details: string[];
  }) =>
    `Spotzee refused batch ${family.rootKey} (${plural(family.rootSize, 'event')}) without naming events; ` +
    `splitting it took ${plural(family.requests, 'more request')} and rejected ${family.rejected} of them: ` +
    `${family.details.join('; ')}${family.details.length < family.rejected ? '; …' : ''}.`,

  inProgressTooLong: (failure: string, waitedMs: number) =>
    `${failure}, still in progress after ${seconds(waitedMs)}: treated as a failed attempt of this batch`,

  bodyUnread: (batch: BatchRef, status: number, why: 'incomplete' | 'too_large', requestId: string | null) =>
    `Spotzee accepted batch ${batch.key} (HTTP ${status}, request_id ${requestId ?? 'none'}) but its answer ${why === 'incomplete' ? 'did not finish in time' : 'was longer than maxResponseBytes'}: ` +
    `counted as delivered (the status settles it; it is never resent), and any per-item errors in that body were not seen.`,

  engineBug: (batchKey: string, detail: string) => `Spotzee engine error while handling batch ${batchKey}: ${detail}`,

  keptInStore: (events: number) =>
    `Spotzee kept ${events} undelivered events in its durable store: they are sent after the next start ` +
    `(or by another instance), batches already sent under the same Idempotency-Key.`,
  transportClose: (detail: string) => `Spotzee transport did not close cleanly: ${detail}`,

  drained: (report: DrainFigures, lifetime: LifetimeFigures, dryRun: boolean) => {
    // A dry run sends nothing: what it "delivers" is what it accepted without a network.
    const settled = dryRun ? 'accepted by the dry run (not sent)' : 'delivered';
    return (
      `Spotzee drained in ${report.durationMs} ms: ${report.delivered} ${settled}, ${report.rejected} rejected, ${report.dropped} dropped` +
      (report.timedOut ? '; events still pending at the deadline were dropped' : '') +
      `. Since start-up: ${lifetime.captured} captured, ${lifetime.delivered} ${settled}, ${lifetime.rejected} rejected, ` +
      `${lifetime.dropped} dropped` +
      (lifetime.deduplicated > 0 ? `, ${lifetime.deduplicated} deduplicated` : '') +
      (lifetime.pending > 0 ? `, ${lifetime.pending} pending` : '') +
      '.'
    );
  },
  /** The folded debug line for repeated idempotency keys (a burst of client retries is one line). */
  deduplicated: (events: number, names: readonly string[]) =>
    `Spotzee deduplicated ${plural(events, 'event')} (idempotencyKey already captured within the dedupe window; ` +
    `not sent again). Events included ${names.map((name) => `"${name}"`).join(', ')}.`,
};

export interface DrainFigures {
  durationMs: number;
  delivered: number;
  rejected: number;
  dropped: number;
  timedOut: boolean;
}

export interface LifetimeFigures {
  captured: number;
  delivered: number;
  rejected: number;
  dropped: number;
  deduplicated: number;
  /** Still unsettled after the drain: kept by a durable store for the next start. */
  pending: number;
}
