import { parseRetryAfterMs } from './backoff.js';
import type { BatchPool } from '../queue/batch-pool.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import { DeliveryMessages as M } from '../delivery.messages.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { TransportResponse } from './delivery-transport.js';
import type { EngineLog } from '../ledger/engine-log.js';
import type { FrozenBatch } from '../queue/frozen-batch.js';
import type { ListenerRegistry } from '../ledger/listener-registry.js';
import { LogThrottle } from '../ledger/log-throttle.js';
import type { OutcomeLedger } from '../ledger/outcome-ledger.js';
import type { BatchAttempt } from '../ledger/outcomes.js';
import type { ServerTextCleaner } from '../ledger/redaction.js';
import type { ResolvedDeliveryOptions } from '../resolve-delivery-options.js';
import { classifyResponse } from './response-classifier.js';
import type { Classification } from './response-classifier.js';
import type { RetryPolicy } from './retry-policy.js';
import { MAX_SPLIT_DEPTH } from './server-rejections.js';
import type { ServerRejections } from './server-rejections.js';
import { parseProblem } from './spotzee-problem.js';
import type { SpotzeeProblem } from './spotzee-problem.js';
import { ACCEPTED, parseSuccessBody } from './spotzee-success-body.js';
import type { SuccessBody } from './spotzee-success-body.js';

const UNREAD_BODY_LOG_INTERVAL_MS = 60_000;

const EMPTY_PROBLEM: SpotzeeProblem = {
  code: null,
  title: null,
  message: null,
  requestId: null,
  param: null,
  errors: [],
};

export interface ResponseHandlerDeps {
  options: Readonly<ResolvedDeliveryOptions>;
  /** Redacts and escapes server text; applied once, here, where answers are parsed. */
  clean: ServerTextCleaner;
  ledger: OutcomeLedger;
  pool: BatchPool;
  gate: DeliveryGate;
  concurrency: ConcurrencyLimit;
  retries: RetryPolicy;
  rejections: ServerRejections;
  listeners: ListenerRegistry;
  log: EngineLog;
}

/**
 * Turns what came back for a batch into what happens next: the classifier decides (see
 * `response-classifier.ts`), this applies the decision and reports the attempt to `attempt` listeners.
 */
export class ResponseHandler {
  /** A proxy that never finishes its bodies would otherwise write a line per batch. */
  readonly #unreadLog = new LogThrottle(UNREAD_BODY_LOG_INTERVAL_MS);
  readonly #options: Readonly<ResolvedDeliveryOptions>;
  readonly #clean: ServerTextCleaner;
  readonly #ledger: OutcomeLedger;
  readonly #pool: BatchPool;
  readonly #gate: DeliveryGate;
  readonly #concurrency: ConcurrencyLimit;
  readonly #retries: RetryPolicy;
  readonly #rejections: ServerRejections;
  readonly #listeners: ListenerRegistry;
  readonly #log: EngineLog;

  constructor(deps: ResponseHandlerDeps) {
    this.#options = deps.options;
    this.#clean = deps.clean;
    this.#ledger = deps.ledger;
    this.#pool = deps.pool;
    this.#gate = deps.gate;
    this.#concurrency = deps.concurrency;
    this.#retries = deps.retries;
    this.#rejections = deps.rejections;
    this.#listeners = deps.listeners;
    this.#log = deps.log;
  }

  onResponse(batch: FrozenBatch, response: TransportResponse, startedAt: number): void {
    if (batch.settled) return;
    const clean = this.#clean;
    const { status, headers } = response;
    const ok = status >= 200 && status < 300;
    // Parsed once, cleaned once: every string below (codes, messages, params, ids) is already redacted
    // and escaped, whichever outcome, log line or health field it ends up in.
    const problem = ok || response.truncated ? EMPTY_PROBLEM : parseProblem(response.body, clean);
    const success: SuccessBody = ok
      ? parseSuccessBody(
          {
            body: response.body,
            contentType: headers['content-type'],
            truncated: response.truncated,
            incomplete: response.incomplete === true,
          },
          batch.size,
          clean,
        )
      : ACCEPTED;
    const rawRequestId = headers['x-request-id'] ?? problem.requestId;
    const requestId = rawRequestId === null || rawRequestId === undefined ? null : clean(rawRequestId).slice(0, 200);
    const decision = classifyResponse(status, headers, problem, batch.size, success);
    const failure =
      success.kind === 'not_spotzee'
        ? M.notSpotzee(status, success.contentType, requestId)
        : M.failure(status, problem, requestId);
    const durationMs = Date.now() - startedAt;
    this.#concurrency.answeredIn(durationMs);
    const attempt: BatchAttempt = {
      batchKey: batch.key,
      events: batch.size,
      bytes: batch.bytes,
      attempt: batch.sends,
      status,
      requestId,
      replayed: decision.kind === 'delivered' && decision.replayed,
      decision: 'delivered',
      durationMs,
    };
    if (decision.kind !== 'delivered') attempt.error = this.#log.redact(failure);
    if (this.#gate.halted && decision.kind !== 'halt') this.#gate.resume();
    // A transient failure or a request to slow down shrinks the concurrency limit; any other answer,
    // refusals included, shows the server coping and grows it back.
    if (decision.kind === 'retry' || decision.kind === 'pause') this.#concurrency.failed(batch.launch);
    else this.#concurrency.succeeded();
    if (decision.kind !== 'pause') batch.inProgressSince = null;
    attempt.decision = this.#act(batch, decision, response, problem, requestId, failure, success);
    this.#listeners.emit('attempt', attempt);
  }

  /** Connection refused or reset, or a timeout: transient, whatever the batch. */
  onNoResponse(batch: FrozenBatch, error: unknown, startedAt: number): void {
    if (batch.settled) return;
    const code = (error as { code?: unknown } | null)?.code;
    const detail = this.#clean(
      `${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}`,
    ).slice(0, 500);
    this.#concurrency.failed(batch.launch);
    this.#retries.retryLater(batch, null, `no response (${detail})`, null, null);
    this.#listeners.emit('attempt', {
      batchKey: batch.key,
      events: batch.size,
      bytes: batch.bytes,
      attempt: batch.sends,
      status: null,
      requestId: null,
      replayed: false,
      decision: batch.settled ? 'dropped' : 'retry',
      durationMs: Date.now() - startedAt,
      error: detail,
    });
  }

  #act(
    batch: FrozenBatch,
    decision: Classification,
    response: TransportResponse,
    problem: SpotzeeProblem,
    requestId: string | null,
    failure: string,
    success: SuccessBody,
  ): BatchAttempt['decision'] {
    const { status, headers } = response;
    switch (decision.kind) {
      case 'delivered':
        this.#delivered(batch, decision.replayed, decision.failed, status, requestId, success);
        return 'delivered';
      case 'retry':
        this.#retries.retryLater(
          batch,
          status,
          failure,
          requestId,
          parseRetryAfterMs(headers['retry-after']),
          problem.code,
        );
        return batch.settled ? 'dropped' : 'retry';
      case 'pause': {
        const retryAfterMs = parseRetryAfterMs(headers['retry-after']);
        if (problem.code === 'idempotency_in_progress' || status === 409) {
          // "In progress" concerns this one key. Past rateLimitMaxMs it is no longer a reason to wait:
          // the batch's own retry budget takes over, so a key stuck on Spotzee's side cannot stall forever.
          const now = Date.now();
          batch.inProgressSince ??= now;
          const waited = now - batch.inProgressSince;
          if (waited >= this.#options.rateLimitMaxMs) {
            const why = M.inProgressTooLong(failure, waited);
            this.#retries.retryLater(batch, status, why, requestId, retryAfterMs, problem.code);
            return batch.settled ? 'dropped' : 'retry';
          }
        }
        this.#gate.pause(batch, retryAfterMs, failure);
        return 'paused';
      }
      case 'halt': {
        // A replayed refusal comes from Spotzee's 24 h memory of this key, not from looking again: only
        // a new key can show that the key, plan or permission was fixed. A refusal committed nothing,
        // so the new key cannot duplicate anything.
        const replayed = status >= 400 && (headers['idempotent-replayed'] ?? '').trim().toLowerCase() === 'true';
        const held = replayed ? this.#pool.rekey(batch, Date.now()) : batch;
        if (replayed) this.#log.write('warn', M.rekeyed(batch.key, held.key));
        this.#gate.halt(held, status, problem, requestId, failure, replayed);
        return 'halted';
      }
      case 'mismatch':
        this.#rejections.rejectBatch(batch, 'idempotency_key_mismatch', problem, requestId, status);
        this.#log.write('error', M.mismatch(batch, requestId));
        return 'rejected';
      case 'reject_all':
        this.#rejections.rejectBatch(batch, 'server_rejected', problem, requestId, status);
        this.#log.write('warn', M.refused(batch, failure));
        return 'rejected';
      case 'reject_items':
        this.#rejections.rejectItems(batch, decision.items, problem, requestId, status);
        return 'rejected';
      case 'split':
        if (batch.size > 1 && batch.splitDepth < MAX_SPLIT_DEPTH) {
          this.#rejections.split(batch, failure);
          return 'split';
        }
        // Alone in its batch (or split as deep as allowed), the batch itself is what the server refused.
        this.#rejections.rejectSplitLeaf(batch, problem, requestId, status);
        return 'rejected';
    }
  }

  /** A 2xx: the status settles the batch, whatever its body says or fails to say. */
  #delivered(
    batch: FrozenBatch,
    replayed: boolean,
    failed: ReadonlyMap<number, SpotzeeProblem['errors']>,
    status: number,
    requestId: string | null,
    success: SuccessBody,
  ): void {
    const now = Date.now();
    this.#gate.delivered();
    this.#pool.wakeBackingOff(now);
    if (failed.size > 0) {
      // The guide's per-item errors: the items named failed, every other one was committed.
      this.#rejections.rejectItems(batch, new Map(failed), EMPTY_PROBLEM, requestId, status, {
        deliver: (kept) => this.#ledger.deliver(batch, requestId, replayed, kept),
      });
    } else {
      this.#pool.settle(batch);
      this.#ledger.deliver(batch, requestId, replayed);
    }
    if (success.kind === 'unread') {
      const line = this.#unreadLog.admit(success.why, M.bodyUnread(batch, status, success.why, requestId));
      if (line !== null) this.#log.write('warn', line);
    }
    this.#log.write('debug', M.delivered(batch, batch.sends, requestId, replayed));
  }
}
