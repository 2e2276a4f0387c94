import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { validateBatchBody } from './batch-body.validator.js';
import type { EmulatorJournal } from './emulator-journal.js';
import type { ResolvedEmulatorOptions } from './emulator-options.js';
import { formatRetryAfter, type EmulatorResponse } from './emulator-response.js';
import type { IdempotencyStore, IdempotencyTicket } from './idempotency-store.js';
import { problemResponse } from './problem-details.js';
import type { ProblemFieldError, ProblemInit } from './problem-details.js';
import type { SpotzeeWireEvent } from '../delivery/prepare/spotzee-event.js';
import type { RateLimitWindow } from './rate-limit-window.js';
import { apiKeyScope, bearerToken, checkRequestHeaders } from './request-headers.validator.js';

export interface EndpointCall {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** `body` decoded once as UTF-8. */
  bodyText: string;
  requestId: string;
  /** Added to the configured processing delay (a `slow` fault). */
  extraDelayMs: number;
  /** A `slow` fault's gate: the answer also waits for it. */
  holdUntil?: PromiseLike<unknown>;
  /** False once the emulator was reset or stopped after this call began: its result must be dropped. */
  isCurrent: () => boolean;
}

export interface EndpointResult {
  response: EmulatorResponse;
  acceptedEvents: number;
}

export interface EndpointDeps {
  options: ResolvedEmulatorOptions;
  idempotency: IdempotencyStore;
  rateLimit: RateLimitWindow;
  journal: EmulatorJournal;
  pause: (ms: number) => Promise<void>;
}

/**
 * `POST /api/client/events` as the contract describes it, free of sockets and faults: headers, rate
 * limit, idempotency, then the body. Returns null when the call went stale (reset or stop) meanwhile.
 */
export class EventsEndpoint {
  constructor(private readonly deps: EndpointDeps) {}

  async handle(call: EndpointCall): Promise<EndpointResult | null> {
    const { options, idempotency, rateLimit } = this.deps;
    const delayMs = options.processingDelayMs + call.extraDelayMs;
    const pause = async (ms: number): Promise<void> => {
      await this.deps.pause(ms);
      // A rejected gate releases the request too: the test that set it is over either way.
      if (call.holdUntil !== undefined) await Promise.resolve(call.holdUntil).catch(() => undefined);
    };
    const respondAfterDelay = async (response: EmulatorResponse): Promise<EndpointResult | null> => {
      await pause(delayMs);
      return call.isCurrent() ? { response, acceptedEvents: 0 } : null;
    };

    const headers = checkRequestHeaders(call.method, call.path, call.headers, options);
    if (!headers.ok) return respondAfterDelay(problemResponse(headers.problem, call.requestId));
    const { scope, apiVersion, idempotencyKey } = headers.value;

    const limit = rateLimit.take(scope);
    if (!limit.allowed) {
      return respondAfterDelay(
        problemResponse(
          {
            status: 429,
            code: 'rate_limited',
            message: `Rate limit of ${limit.headers['x-ratelimit-limit']} requests per window exceeded; retry after ${limit.resetSeconds} s.`,
            headers: { ...limit.headers, 'retry-after': String(limit.resetSeconds) },
          },
          call.requestId,
        ),
      );
    }

    let ticket: IdempotencyTicket | null = null;
    if (idempotencyKey !== null) {
      const fingerprint = createHash('sha256').update(call.body).digest('base64url');
      const claim = idempotency.claim(`${scope}:${idempotencyKey}`, fingerprint, delayMs);
      switch (claim.state) {
        case 'replay': {
          const original = claim.response;
          const success = original.status < 300;
          return respondAfterDelay({
            ...original,
            headers: { ...original.headers, ...(success ? limit.headers : {}), 'idempotent-replayed': 'true' },
            replayed: true,
          });
        }
        case 'mismatch':
          return respondAfterDelay(
            problemResponse(
              {
                status: 409,
                code: 'idempotency_key_mismatch',
                param: 'Idempotency-Key',
                message:
                  'This Idempotency-Key was already used with a different request body. Retries must resend the exact same bytes; new requests need a new key.',
              },
              call.requestId,
            ),
          );
        case 'in_progress': {
          const retryAfter = options.inProgressRetryAfterSeconds ?? Math.max(0.01, claim.retryAfterMs / 1000);
          return respondAfterDelay(
            problemResponse(
              {
                status: 409,
                code: 'idempotency_in_progress',
                param: 'Idempotency-Key',
                message:
                  'A request with this Idempotency-Key is still being processed. Retry after the Retry-After delay.',
                headers: { 'retry-after': formatRetryAfter(retryAfter) },
              },
              call.requestId,
            ),
          );
        }
        case 'claimed':
          ticket = claim.ticket;
      }
    }

    try {
      await pause(delayMs);
      if (!call.isCurrent()) return null;
      const result = this.process(call, idempotencyKey, apiVersion, limit.headers);
      // Everything `process` answers is 2xx or 4xx: the contract remembers both.
      if (ticket !== null) idempotency.complete(ticket, result.response);
      ticket = null;
      return result;
    } finally {
      if (ticket !== null) idempotency.abandon(ticket);
    }
  }

  /**
   * Stores a refusal an injected fault gave, for `Idempotency-Key` replays, as Spotzee stores every 4xx:
   * later requests with the same key and body get it back with `Idempotent-Replayed: true`.
   */
  rememberRefusal(headers: IncomingHttpHeaders, body: Buffer, response: EmulatorResponse): void {
    const key = headers['idempotency-key'];
    const token = bearerToken(headers.authorization);
    if (typeof key !== 'string' || token === null) return;
    const fingerprint = createHash('sha256').update(body).digest('base64url');
    const claim = this.deps.idempotency.claim(`${apiKeyScope(token)}:${key}`, fingerprint, 0);
    if (claim.state === 'claimed') this.deps.idempotency.complete(claim.ticket, response);
  }

  private process(
    call: EndpointCall,
    idempotencyKey: string | null,
    apiVersion: string | null,
    limitHeaders: Record<string, string>,
  ): EndpointResult {
    const validation = validateBatchBody(call.bodyText, this.deps.options.maxNameLength);
    if (!validation.ok) {
      const partial =
        this.deps.options.invalidItems === 'reject-batch' ? null : splitInvalidItems(call.bodyText, validation.problem);
      if (partial === null) return { response: problemResponse(validation.problem, call.requestId), acceptedEvents: 0 };
      // The guide's reading: the valid items are committed whatever happens to the others.
      this.accept(call, idempotencyKey, apiVersion, partial.valid);
      const response =
        this.deps.options.invalidItems === 'commit-valid-200'
          ? itemResultsResponse(partial, limitHeaders)
          : problemResponse(validation.problem, call.requestId);
      return { response, acceptedEvents: partial.valid.length };
    }
    this.accept(call, idempotencyKey, apiVersion, validation.events);
    return { response: { status: 204, headers: { ...limitHeaders } }, acceptedEvents: validation.events.length };
  }

  private accept(
    call: EndpointCall,
    idempotencyKey: string | null,
    apiVersion: string | null,
    events: SpotzeeWireEvent[],
  ): void {
    const batch = this.deps.journal.addBatch({
      idempotencyKey,
      requestId: call.requestId,
      events,
      body: call.bodyText,
      bytes: call.body.length,
      apiVersion,
    });
    const onBatch = this.deps.options.onBatch;
    if (onBatch !== null) {
      try {
        onBatch(batch);
      } catch (error) {
        // A faulty listener must not turn an accepted batch into a failed request.
        process.emitWarning(
          `SpotzeeEmulator: onBatch threw: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}

interface PartialBatch {
  /** The items without errors, in order. */
  valid: SpotzeeWireEvent[];
  /** Every item's index with its errors (empty for valid items). */
  items: Array<{ index: number; errors: ProblemFieldError[] }>;
}

/** A `422 validation_failed` over a well-formed array: which items were fine. Null for a body-level problem. */
function splitInvalidItems(bodyText: string, problem: ProblemInit): PartialBatch | null {
  if (problem.status !== 422 || problem.errors === undefined) return null;
  const parsed = JSON.parse(bodyText) as SpotzeeWireEvent[];
  const items = parsed.map((_, index) => ({ index, errors: [] as ProblemFieldError[] }));
  for (const error of problem.errors) {
    const [index, ...field] = error.param.split('.');
    items[Number(index)]?.errors.push({ ...error, param: field.join('.') });
  }
  return { valid: parsed.filter((_, index) => items[index]!.errors.length === 0), items };
}

/** The per-item answer in the shape of `POST /users/batch`: `{ results: [{ index, error? }], succeeded, failed }`. */
function itemResultsResponse(partial: PartialBatch, limitHeaders: Record<string, string>): EmulatorResponse {
  const results = partial.items.map(({ index, errors }) => {
    const first = errors[0];
    if (first === undefined) return { index };
    const message = errors.map((error) => `${error.param || 'event'}: ${error.message}`).join('; ');
    return { index, error: { code: first.code, message, param: first.param || undefined } };
  });
  const failed = partial.items.length - partial.valid.length;
  return {
    status: 200,
    headers: { ...limitHeaders, 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify({ results, succeeded: partial.valid.length, failed })),
  };
}
