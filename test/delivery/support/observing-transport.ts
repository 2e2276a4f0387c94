import { DeliveryTransport, UndiciTransport } from '../../../lib/delivery/index.js';
import type { TransportRequest, TransportResponse } from '../../../lib/delivery/index.js';

/**
 * The real undici transport with a window on it: what the engine hands over (headers incl. the exact
 * Authorization value, the very Buffer), how many requests overlap, and hooks run at send time.
 */
export class ObservingTransport extends DeliveryTransport {
  readonly requests: TransportRequest[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  readonly inner: UndiciTransport;

  constructor(baseUrl: string, private readonly onSend?: (request: TransportRequest) => void) {
    super();
    this.inner = new UndiciTransport({ baseUrl, connectTimeoutMs: 2000, connections: 8 });
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    this.requests.push(request);
    this.onSend?.(request);
    this.concurrent += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      return await this.inner.send(request);
    } finally {
      this.concurrent -= 1;
    }
  }

  override close(): Promise<void> {
    return this.inner.close();
  }
}
