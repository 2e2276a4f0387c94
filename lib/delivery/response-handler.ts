import { parseRetryAfterMs } from './backoff.js';
import type { BatchPool } from './batch-pool.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import { DeliveryMessages as M } from './delivery.messages.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { TransportResponse } from './delivery-transport.js';
import type { EngineLog } from './engine-log.js';
import { describeEvent } from './event-summary.js';
import type { FrozenBatch } from './frozen-batch.js';
import type { ListenerRegistry } from './listener-registry.js';
import type { OutcomeLedger } from './outcome-ledger.js';
import type { BatchAttempt } from './outcomes.js';
import { classifyResponse } from './response-classifier.js';
import type { Classification } from './response-classifier.js';
import type { RetryPolicy } from './retry-policy.js';
import type { ServerRejections } from './server-rejections.js';
import { parseProblem } from './spotzee-problem.js';
import type { SpotzeeProblem } from './spotzee-problem.js';

const EMPTY_PROBLEM: SpotzeeProblem = {
  code: null,
  title: null,
  message: null,
  requestId: null,
  param: null,
  errors: [],
};

export interface ResponseHandlerDeps {
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
  readonly #ledger: OutcomeLedger;
  readonly #pool: BatchPool;
  readonly #gate: DeliveryGate;
  readonly #concurrency: ConcurrencyLimit;
  readonly #retries: RetryPolicy;
  readonly #rejections: ServerRejections;
  readonly #listeners: ListenerRegistry;
  readonly #log: EngineLog;

  constructor(deps: ResponseHandlerDeps) {
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
    const ok = response.status >= 200 && response.status < 300;
    const problem = ok || response.truncated ? EMPTY_PROBLEM : parseProblem(response.body);
    // Even ids come from the server: scrub them like any other text we did not write.
    const rawRequestId = response.headers['x-request-id'] ?? problem.requestId;
    const requestId =
      rawRequestId === null || rawRequestId === undefined ? null : this.#log.redact(rawRequestId.slice(0, 200));
    const decision = classifyResponse(response.status, response.headers, problem, batch.size);
    const durationMs = Date.now() - startedAt;
    this.#concurrency.answeredIn(durationMs);
    const attempt: BatchAttempt = {
      batchKey: batch.key,
      events: batch.size,
      bytes: batch.bytes,
      attempt: batch.sends,
      status: response.status,
      requestId,
      replayed: decision.kind === 'delivered' && decision.replayed,
      decision: 'delivered',
      durationMs,
    };
    if (!ok) attempt.error = this.#log.redact(M.failure(response.status, problem, requestId));
    if (this.#gate.halted && decision.kind !== 'halt') this.#gate.resume();
    // A transient failure or a request to slow down shrinks the concurrency limit; any other answer,
    // refusals included, shows the server coping and grows it back.
    if (decision.kind === 'retry' || decision.kind === 'pause') this.#concurrency.failed(batch.launch);
    else this.#concurrency.succeeded();
    attempt.decision = this.#act(batch, decision, response, problem, requestId);
    this.#listeners.emit('attempt', attempt);
  }

  /** Connection refused or reset, or a timeout: transient, whatever the batch. */
  onNoResponse(batch: FrozenBatch, error: unknown, startedAt: number): void {
    if (batch.settled) return;
    const code = (error as { code?: unknown } | null)?.code;
    const detail = this.#log.redact(
      `${typeof code === 'string' ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}`,
    );
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
  ): BatchAttempt['decision'] {
    const { status, headers } = response;
    if (decision.kind === 'delivered') {
      this.#gate.delivered();
      this.#pool.settle(batch);
      this.#pool.wakeBackingOff(Date.now());
      this.#ledger.deliver(batch, requestId, decision.replayed);
      this.#log.write('debug', M.delivered(batch, batch.sends, requestId, decision.replayed));
      return 'delivered';
    }
    const failure = M.failure(status, problem, requestId);
    switch (decision.kind) {
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
      case 'pause':
        this.#gate.pause(batch, parseRetryAfterMs(headers['retry-after']), failure);
        return 'paused';
      case 'halt':
        this.#gate.halt(batch, status, problem, requestId, failure);
        return 'halted';
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
      case 'split': {
        if (batch.size > 1) {
          this.#rejections.split(batch, failure);
          return 'split';
        }
        // Alone in its batch, the event itself is what the server refused.
        const { name, source } = batch.entries[0]!.event;
        this.#rejections.rejectBatch(batch, 'server_rejected', problem, requestId, status);
        this.#log.write('warn', M.eventRejected(describeEvent(name, source), failure));
        return 'rejected';
      }
    }
  }
}
