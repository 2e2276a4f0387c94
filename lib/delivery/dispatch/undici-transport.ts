import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { DeliveryTransport } from './delivery-transport.js';
import type { TransportRequest, TransportResponse } from './delivery-transport.js';

export interface UndiciTransportOptions {
  /** The origin and path prefix requests go to; only the origin picks the pool. */
  baseUrl: string;
  /** Connect timeout; per-request header/body timeouts come with each request. */
  connectTimeoutMs: number;
  /** Connections kept to the origin; match the engine's `maxInFlight`. */
  connections: number;
}

function flattenHeaders(parsed: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(parsed)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

type Settle = (outcome: { response: TransportResponse } | { error: unknown }) => void;

/**
 * One exchange, driven by undici's dispatch handler callbacks rather than `pool.request()`: no Readable
 * stream, async iterator or AbortSignal per batch (`AbortSignal.timeout()` cannot be cancelled: every
 * batch left a timer that built a DOMException when it fired, long after its answer). A plain timer,
 * cleared at the end, keeps the whole exchange, body included, to `requestTimeoutMs` sharp; undici's
 * own header/body timeouts run on a coarse (~1 s) wheel.
 *
 * Reads at most `maxResponseBytes` of the body; past it, aborts rather than buffering it. A body that
 * breaks off or outlives the deadline comes back `incomplete` with what arrived: once the status line
 * is in, the status decides, and a slow or endless body must never turn an answered request into a "no
 * answer" (a 2xx would then be resent although Spotzee accepted it).
 */
class Exchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | null = null;
  /** Why the exchange was cut short before undici handed over its controller. */
  #abortReason: unknown = undefined;
  #status = 0;
  #headers: Record<string, string | undefined> = {};
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;
  #timedOut = false;
  #done = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly request: TransportRequest,
    private readonly settle: Settle,
  ) {
    this.#timer = setTimeout(this.#onTimeout, request.timeoutMs);
    request.signal.addEventListener('abort', this.#onShutdown, { once: true });
  }

  #onTimeout = (): void => {
    this.#timedOut = true;
    this.#abort(new RequestTimeoutError(this.request.timeoutMs));
  };

  /** `close()` reached its deadline: the exchange is abandoned, whatever arrived. */
  #onShutdown = (): void => {
    this.#abort(this.request.signal.reason);
  };

  #abort(reason: unknown): void {
    if (this.#done) return;
    if (this.#controller === null) {
      // Still waiting for a connection: it ends now, and undici aborts it as soon as it would start.
      this.#abortReason = reason;
      this.#finish({ error: reason });
      return;
    }
    this.#controller.abort(reason instanceof Error ? reason : new Error(String(reason)));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason !== undefined) {
      const reason = this.#abortReason;
      controller.abort(reason instanceof Error ? reason : new Error(String(reason)));
    }
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode;
    this.#headers = flattenHeaders(headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#truncated) return;
    this.#size += chunk.length;
    if (this.#size > this.request.maxResponseBytes) {
      this.#truncated = true;
      // Answered: the status decides. The rest of the body is not read, and the connection goes.
      this.#finish({ response: this.#response(null, false) });
      controller.abort(new Error('response body over maxResponseBytes'));
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.#finish({ response: this.#response(this.#text(), false) });
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    if (this.#status !== 0) {
      // The status line arrived; the body broke off or outlived the deadline.
      this.#finish({ response: this.#response(this.#text(), true) });
      return;
    }
    this.#finish({
      error: this.#timedOut && !this.request.signal.aborted ? new RequestTimeoutError(this.request.timeoutMs) : error,
    });
  }

  #text(): string | null {
    return this.#size === 0 ? null : Buffer.concat(this.#chunks, this.#size).toString('utf8');
  }

  #response(body: string | null, incomplete: boolean): TransportResponse {
    return { status: this.#status, headers: this.#headers, body, truncated: this.#truncated, incomplete };
  }

  #finish(outcome: { response: TransportResponse } | { error: unknown }): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.request.signal.removeEventListener('abort', this.#onShutdown);
    // The shutdown deadline abandons the request whatever arrived; a timeout mid-body does not.
    this.settle(this.request.signal.aborted ? { error: this.request.signal.reason } : outcome);
  }
}

/** No complete answer within `requestTimeoutMs`. */
export class RequestTimeoutError extends Error {
  readonly code = 'SPOTZEE_REQUEST_TIMEOUT';

  constructor(timeoutMs: number) {
    super(`no answer within requestTimeoutMs (${timeoutMs} ms)`);
    this.name = 'RequestTimeoutError';
  }
}

/** Keep-alive connections through one undici `Pool` per engine. */
export class UndiciTransport extends DeliveryTransport {
  readonly #pool: Pool;
  readonly #origin: string;

  constructor(options: UndiciTransportOptions) {
    super();
    this.#origin = new URL(options.baseUrl).origin;
    this.#pool = new Pool(this.#origin, {
      connections: options.connections,
      pipelining: 1,
      connectTimeout: options.connectTimeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    if (request.signal.aborted) return Promise.reject(request.signal.reason);
    return new Promise((resolve, reject) => {
      const exchange = new Exchange(request, (outcome) =>
        'response' in outcome ? resolve(outcome.response) : reject(outcome.error),
      );
      const url = new URL(request.url);
      this.#pool.dispatch(
        {
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { ...request.headers, 'content-length': String(request.body.length) },
          body: request.body,
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
        },
        exchange,
      );
    });
  }

  override async close(): Promise<void> {
    // destroy, not close: close() waits for idle keep-alive sockets the engine no longer needs.
    await this.#pool.destroy();
  }
}
