/**
 * The engine's only door to the network. Replaceable (a proxying transport, a test double that wraps
 * the real one); the default is `UndiciTransport`, and `DryRunTransport` answers without any network.
 */
export interface TransportRequest {
  /** `${baseUrl}/events`. */
  url: string;
  headers: Readonly<Record<string, string>>;
  /** The frozen batch body: retries pass the very same Buffer. */
  body: Buffer;
  /** Aborted when `close()` reaches its deadline. */
  signal: AbortSignal;
  /** Connect, headers and body timeouts. */
  timeoutMs: number;
  /** Read at most this many bytes of the response body. */
  maxResponseBytes: number;
}

export interface TransportResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body text, or null when empty, unreadable or over `maxResponseBytes`. */
  body: string | null;
  /** True when the body was longer than `maxResponseBytes` and reading stopped. */
  truncated: boolean;
  /**
   * True when the status arrived but the body broke off or outlived the timeout; `body` then holds what
   * arrived. The status still decides: a 2xx settles the batch. Optional for transports that cannot tell.
   */
  incomplete?: boolean;
}

export abstract class DeliveryTransport {
  /**
   * Sends one request. Resolves with any HTTP answer, whatever its status, as soon as a status line
   * arrived (even if the body then never ends); rejects only when there is no answer (connection
   * refused or reset, timeout before the status, abort).
   */
  abstract send(request: TransportRequest): Promise<TransportResponse>;

  /** Releases connections. Called once, after the engine's final drain. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * `dryRun: true`: every batch is "accepted" with a 204 and no network, so an app runs, and its tests
 * observe outcomes, without a key. The engine logs each batch at debug level.
 */
export class DryRunTransport extends DeliveryTransport {
  #requests = 0;

  send(request: TransportRequest): Promise<TransportResponse> {
    if (request.signal.aborted) return Promise.reject(new Error('The request was aborted'));
    this.#requests += 1;
    return Promise.resolve({
      status: 204,
      headers: { 'x-request-id': `req_dryrun_${this.#requests}` },
      body: null,
      truncated: false,
    });
  }
}
