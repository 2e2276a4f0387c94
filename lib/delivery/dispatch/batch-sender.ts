import type { BatchPool } from '../queue/batch-pool.js';
import type { ConcurrencyLimit } from './concurrency-limit.js';
import { DeliveryMessages as M } from '../delivery.messages.js';
import type { DeliveryTransport, TransportResponse } from './delivery-transport.js';
import type { EngineLog } from '../ledger/engine-log.js';
import type { FrozenBatch } from '../queue/frozen-batch.js';
import type { ResolvedDeliveryOptions } from '../resolve-delivery-options.js';
import type { ResponseHandler } from './response-handler.js';
import { USER_AGENT } from '../version.js';

export interface BatchSenderDeps {
  options: Readonly<ResolvedDeliveryOptions>;
  /** `${baseUrl}/events`. */
  url: string;
  /** Empty when none is configured (dry run). */
  apiKey: string;
  transport: DeliveryTransport;
  pool: BatchPool;
  concurrency: ConcurrencyLimit;
  responses: ResponseHandler;
  log: EngineLog;
}

/**
 * Puts one frozen batch on the wire and hands whatever comes back to the response handler. The only
 * place the API key is used: it goes into the `authorization` header and nowhere else.
 */
export class BatchSender {
  readonly #abort = new AbortController();
  readonly #headers: Readonly<Record<string, string>>;
  #requests = 0;
  #retries = 0;

  readonly #options: Readonly<ResolvedDeliveryOptions>;
  readonly #url: string;
  readonly #transport: DeliveryTransport;
  readonly #pool: BatchPool;
  readonly #concurrency: ConcurrencyLimit;
  readonly #responses: ResponseHandler;
  readonly #log: EngineLog;

  constructor(deps: BatchSenderDeps) {
    this.#options = deps.options;
    this.#url = deps.url;
    this.#transport = deps.transport;
    this.#pool = deps.pool;
    this.#concurrency = deps.concurrency;
    this.#responses = deps.responses;
    this.#log = deps.log;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'spotzee-version': deps.options.apiVersion,
      'user-agent': USER_AGENT,
    };
    if (deps.apiKey !== '') headers.authorization = `Bearer ${deps.apiKey}`;
    this.#headers = Object.freeze(headers);
  }

  /** HTTP attempts made, retries included. */
  get requests(): number {
    return this.#requests;
  }

  get retries(): number {
    return this.#retries;
  }

  /** The shutdown deadline: requests in flight are abandoned, and their failures are not retried. */
  abort(): void {
    this.#abort.abort();
  }

  /**
   * Resolves once the request is over, answered or not, and its answer handled: the batch has left
   * the in-flight count, so a slot is free again. Never rejects.
   */
  send(batch: FrozenBatch): Promise<void> {
    const options = this.#options;
    const startedAt = Date.now();
    this.#pool.launch(batch, startedAt, this.#concurrency.launch());
    this.#requests += 1;
    if (batch.sends > 1) this.#retries += 1;
    if (options.dryRun) {
      const preview =
        batch.body.length > 2000 ? `${batch.body.toString('utf8', 0, 2000)}…` : batch.body.toString('utf8');
      this.#log.write('debug', M.dryRun(batch, preview));
    }
    let request: Promise<TransportResponse>;
    try {
      request = this.#transport.send({
        url: this.#url,
        headers: { ...this.#headers, 'idempotency-key': batch.key },
        body: batch.body,
        signal: this.#abort.signal,
        timeoutMs: options.requestTimeoutMs,
        maxResponseBytes: options.maxResponseBytes,
      });
    } catch (error) {
      request = Promise.reject(error);
    }
    // Landing (leaving the in-flight count) happens before outcomes are reported, so stats read from
    // a listener or right after flush() never show a finished request as still in flight.
    let landed = false;
    const land = (): void => {
      if (landed) return;
      landed = true;
      this.#pool.land(batch);
    };
    return request
      .then(
        (response) => {
          land();
          this.#responses.onResponse(batch, response, startedAt);
        },
        (error: unknown) => {
          land();
          if (!this.#abort.signal.aborted) this.#responses.onNoResponse(batch, error, startedAt);
        },
      )
      .catch((error: unknown) => {
        // A bug in outcome handling must not leave events in limbo or crash the process.
        this.#log.write(
          'error',
          M.engineBug(batch.key, error instanceof Error ? (error.stack ?? error.message) : String(error)),
        );
      })
      .finally(land);
  }
}
