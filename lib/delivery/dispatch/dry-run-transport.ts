import { DeliveryTransport } from './delivery-transport.js';
import type { TransportRequest, TransportResponse } from './delivery-transport.js';

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
