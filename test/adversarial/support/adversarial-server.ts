import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as it arrived: what the tests assert about the wire. */
export interface SeenRequest {
  /** 1-based arrival order. */
  n: number;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  idempotencyKey: string | null;
  body: string;
  /** The events of the bare-array body (empty when it did not parse). */
  events: Array<{ name: string; data?: { seq?: number } }>;
}

/**
 * Answers a request. Writes whatever it likes to `res`, or to the raw `socket` for answers `http` would
 * not produce (HTTP/1.0 without a length, a status line and then silence). Must end or destroy what it
 * opens: `close()` destroys whatever is left.
 */
export type Answer = (request: SeenRequest, res: ServerResponse, socket: Socket) => void;

/**
 * A plain `node:http` server written for these tests, deliberately not the emulator: it plays exactly
 * one answer per test, the way a misbehaving Spotzee, a proxy or a captive portal might, so the engine
 * is checked against the answer itself rather than against our own model of the server.
 */
export class AdversarialServer {
  readonly requests: SeenRequest[] = [];
  readonly #sockets = new Set<Socket>();
  #answer: Answer;

  private constructor(
    private readonly server: Server,
    answer: Answer,
    /** Answer as soon as the request head arrived, before reading its body (an early 413). */
    private readonly beforeBody: boolean,
  ) {
    this.#answer = answer;
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res));
  }

  static async start(answer: Answer, options: { beforeBody?: boolean } = {}): Promise<AdversarialServer> {
    const server = createServer({ noDelay: true });
    const adversary = new AdversarialServer(server, answer, options.beforeBody ?? false);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return adversary;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/client`;
  }

  /** Changes the answer for the requests that follow (a fixed key, a paid invoice, a proxy removed). */
  answerWith(answer: Answer): void {
    this.#answer = answer;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.beforeBody) {
      this.#record(req, '');
      this.#answer(this.requests.at(-1)!, res, req.socket);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => this.#answer(this.#record(req, Buffer.concat(chunks).toString('utf8')), res, req.socket));
  }

  #record(req: IncomingMessage, body: string): SeenRequest {
    let events: SeenRequest['events'] = [];
    try {
      const parsed: unknown = JSON.parse(body);
      if (Array.isArray(parsed)) events = parsed as SeenRequest['events'];
    } catch {
      // Not every request the tests make carries a JSON body.
    }
    const key = req.headers['idempotency-key'];
    const seen: SeenRequest = {
      n: this.requests.length + 1,
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      idempotencyKey: typeof key === 'string' ? key : null,
      body,
      events,
    };
    this.requests.push(seen);
    return seen;
  }
}

/** A problem+json answer, as Spotzee shapes its errors. */
export function problem(
  res: ServerResponse,
  status: number,
  fields: Record<string, unknown>,
  headers: Record<string, string | string[]> = {},
): void {
  const body = JSON.stringify({ status: 'error', ...fields });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'x-request-id': 'req_adv', ...headers });
  res.end(body);
}

export function noContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(204, { 'x-request-id': 'req_adv', ...headers });
  res.end();
}
