import { DeliveryTransport, type TransportRequest, type TransportResponse } from '../../../lib/index.js';

/**
 * Wraps the real transport (undici, real sockets) and keeps what it returned, so a test can see what
 * the engine was handed: the status, and whether the body was cut at the read bound.
 */
export class ObservingTransport extends DeliveryTransport {
  readonly responses: TransportResponse[] = [];

  constructor(private readonly inner: DeliveryTransport) {
    super();
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const response = await this.inner.send(request);
    this.responses.push(response);
    return response;
  }

  override close(): Promise<void> {
    return this.inner.close();
  }
}
