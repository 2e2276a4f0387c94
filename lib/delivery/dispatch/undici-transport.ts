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

function flattenHeaders(raw: Dispatcher.ResponseData['headers']): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(raw)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/**
 * Reads at most `limit` bytes; past it, stops and destroys the stream rather than buffering it. A body
 * that breaks off or outlives the request's deadline comes back `incomplete` with what arrived: once the
 * status line is in, the status decides, and a slow or endless body must never turn an answered
 * request into a "no answer" (a 2xx would then be resent although Spotzee accepted it).
 */
async function readBounded(
  body: Dispatcher.ResponseData['body'],
  limit: number,
): Promise<{ text: string | null; truncated: boolean; incomplete: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buffer.length;
      if (size > limit) {
        body.destroy();
        return { text: null, truncated: true, incomplete: false };
      }
      chunks.push(buffer);
    }
  } catch {
    body.destroy();
    return {
      text: size === 0 ? null : Buffer.concat(chunks, size).toString('utf8'),
      truncated: false,
      incomplete: true,
    };
  }
  return {
    text: size === 0 ? null : Buffer.concat(chunks, size).toString('utf8'),
    truncated: false,
    incomplete: false,
  };
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

  async send(request: TransportRequest): Promise<TransportResponse> {
    const url = new URL(request.url);
    // undici's own header/body timeouts run on a coarse (~1 s) timer wheel; this signal makes the
    // whole exchange, body included, end at requestTimeoutMs sharp.
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = AbortSignal.any([request.signal, timeout]);
    try {
      const response = await this.#pool.request({
        origin: this.#origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(request.body.length) },
        body: request.body,
        signal,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      });
      const { text, truncated, incomplete } = await readBounded(response.body, request.maxResponseBytes);
      // The shutdown deadline abandons the request whatever arrived; a timeout mid-body does not.
      if (request.signal.aborted) throw request.signal.reason;
      return {
        status: response.statusCode,
        headers: flattenHeaders(response.headers),
        body: text,
        truncated,
        incomplete,
      };
    } catch (error) {
      if (timeout.aborted && !request.signal.aborted) throw new RequestTimeoutError(request.timeoutMs);
      throw error;
    }
  }

  override async close(): Promise<void> {
    // destroy, not close: close() waits for idle keep-alive sockets the engine no longer needs.
    await this.#pool.destroy();
  }
}
