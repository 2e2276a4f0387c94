import { DeliveryTransport } from '../../lib/delivery/index.js';
import type { TransportRequest, TransportResponse } from '../../lib/delivery/index.js';

/**
 * A window on a real transport (undici, real sockets): what the engine hands over (headers incl. the
 * exact Authorization value, the very Buffer), what it gets back (status, a body cut at the read
 * bound), how many requests overlap, and a hook run at send time.
 */
export class ObservingTransport extends DeliveryTransport {
  readonly requests: TransportRequest[] = [];
  readonly responses: TransportResponse[] = [];
  concurrent = 0;
  maxConcurrent = 0;

  constructor(
    readonly inner: DeliveryTransport,
    private readonly onSend?: (request: TransportRequest) => void,
  ) {
    super();
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    this.requests.push(request);
    this.onSend?.(request);
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      const response = await this.inner.send(request);
      this.responses.push(response);
      return response;
    } finally {
      this.concurrent -= 1;
    }
  }

  override close(): Promise<void> {
    return this.inner.close();
  }
}
