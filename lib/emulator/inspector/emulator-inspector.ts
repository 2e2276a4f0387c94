import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RequestRecord } from '../emulator-records.js';
import { inspectRequest, type InspectedRequest } from './inspected-request.js';
import { applyControl, parseControl } from './inspector-controls.js';
import { INSPECTOR_PAGE } from './inspector-page.js';
import { INSPECTOR_SCRIPT } from './inspector-script.js';
import { INSPECTOR_STYLE } from './inspector-style.js';
import { inspectorState, type InspectorTarget } from './inspector-target.js';

export interface EmulatorInspectorOptions {
  host: string;
  port: number;
  target: InspectorTarget;
  /** Requests kept for a page that opens late (at most 200); the emulator's `maxRecordedRequests` caps it. */
  historySize: number;
  /** Subscribes to every finished request of the emulator; returns the unsubscribe function. */
  subscribe: (listener: (record: RequestRecord) => void) => () => void;
}

/** Requests a page that opens late still sees; older ones are only in `emulator.requests`. */
export const MAX_INSPECTOR_HISTORY = 200;
/** Keys whose attempts are counted; the oldest is forgotten first. */
const MAX_TRACKED_KEYS = 10_000;
/** Live updates are sent in slices, so a chaos run of thousands of requests cannot flood a browser tab. */
const PUSH_INTERVAL_MS = 50;
const KEEPALIVE_MS = 15_000;
const MAX_CONTROL_BYTES = 4096;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
// Everything is served from here: no CDN, no inline script or style, nothing that event data could inject into.
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

interface Seen {
  record: RequestRecord;
  attempt: number;
}

/**
 * The emulator's live inspector: a page, its stylesheet and script, a Server-Sent Events stream of every
 * request the emulator finishes, and the controls behind the page's fault buttons. It listens on its own
 * port so that it stays up while the emulator simulates an outage (`down()` closes the API's port).
 */
export class EmulatorInspector {
  private readonly server: Server;
  private readonly clients = new Set<ServerResponse>();
  private readonly history: Seen[] = [];
  private readonly attempts = new Map<string, number>();
  private pending: InspectedRequest[] = [];
  private pushTimer: NodeJS.Timeout | null = null;
  private readonly keepalive: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private listeningPort = 0;

  static async start(options: EmulatorInspectorOptions): Promise<EmulatorInspector> {
    const inspector = new EmulatorInspector(options);
    await inspector.listen();
    return inspector;
  }

  private constructor(private readonly options: EmulatorInspectorOptions) {
    this.server = createServer((req, res) => this.route(req, res));
    this.unsubscribe = options.subscribe((record) => this.onRecord(record));
    this.keepalive = setInterval(() => this.broadcast(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /** `http://127.0.0.1:PORT/` */
  get url(): string {
    const host = this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host === '::' ? '::1' : this.options.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.listeningPort}/`;
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    clearInterval(this.keepalive);
    if (this.pushTimer !== null) clearTimeout(this.pushTimer);
    for (const client of this.clients) client.end();
    this.clients.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Forgets what was shown (the emulator's `reset()`); open pages start over. */
  clear(): void {
    this.history.length = 0;
    this.attempts.clear();
    this.pending = [];
    if (this.clients.size > 0) {
      this.broadcast(sse('snapshot', { requests: [], state: inspectorState(this.options.target) }));
    }
  }

  private onRecord(record: RequestRecord): void {
    let attempt = 1;
    const key = record.idempotencyKey;
    if (key !== null) {
      attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.delete(key);
      this.attempts.set(key, attempt);
      if (this.attempts.size > MAX_TRACKED_KEYS) this.attempts.delete(this.attempts.keys().next().value!);
    }
    this.history.push({ record, attempt });
    if (this.history.length > this.options.historySize) this.history.shift();
    // Nobody watching: the record waits in the history, unparsed.
    if (this.clients.size === 0) return;
    this.pending.push(inspectRequest(record, attempt));
    this.pushTimer ??= setTimeout(() => this.push(), PUSH_INTERVAL_MS);
  }

  private push(): void {
    this.pushTimer = null;
    const requests = this.pending;
    this.pending = [];
    if (requests.length > 0) this.broadcast(sse('requests', requests));
    this.broadcastState();
  }

  private broadcastState(): void {
    this.broadcast(sse('state', inspectorState(this.options.target)));
  }

  private broadcast(message: string): void {
    for (const client of this.clients) client.write(message);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (!this.trustedHost(req)) {
      return this.text(res, 421, 'This inspector answers on loopback only: open it at its own address.');
    }
    const path = (req.url ?? '/').split('?', 1)[0];
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      switch (path) {
        case '/':
          return this.asset(res, 'text/html; charset=utf-8', INSPECTOR_PAGE, {
            'content-security-policy': PAGE_POLICY,
          });
        case '/inspector.css':
          return this.asset(res, 'text/css; charset=utf-8', INSPECTOR_STYLE);
        case '/inspector.js':
          return this.asset(res, 'text/javascript; charset=utf-8', INSPECTOR_SCRIPT);
        case '/stream':
          return this.stream(res);
        case '/favicon.ico':
          res.writeHead(204, SECURITY_HEADERS).end();
          return;
      }
      return this.text(res, 404, 'Not found: the inspector is at /.');
    }
    if (method === 'POST' && path === '/control') {
      void this.control(req, res);
      return;
    }
    return this.text(res, 405, 'Only GET pages and POST /control are served here.');
  }

  private stream(res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    const requests = this.history.map((seen) => inspectRequest(seen.record, seen.attempt));
    res.write(sse('snapshot', { requests, state: inspectorState(this.options.target) }));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A page on another origin may POST here (the browser sends it); only this page's own JSON calls act.
    const origin = req.headers.origin;
    const sameOrigin = origin === undefined || `${origin}/` === this.url || this.isLoopbackOrigin(origin);
    if (!sameOrigin || !(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return this.text(res, 403, 'Controls accept only JSON from the inspector page itself.');
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > MAX_CONTROL_BYTES) return this.text(res, 413, 'The control body is too large.');
      chunks.push(chunk);
    }
    const parsed = parseControl(Buffer.concat(chunks).toString('utf8'));
    if (!parsed.ok) return this.text(res, 400, parsed.message);
    try {
      await applyControl(this.options.target, parsed.control);
    } catch (error) {
      return this.text(
        res,
        500,
        `The emulator could not do it: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.broadcastState();
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
    res.end(JSON.stringify(inspectorState(this.options.target)));
  }

  /** DNS rebinding: a hostile page whose name resolves to 127.0.0.1 must not reach the controls. */
  private trustedHost(req: IncomingMessage): boolean {
    const bound = this.options.host;
    if (bound === '0.0.0.0' || bound === '::') return true;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return host === bound || host === 'localhost' || host === '127.0.0.1' || host === '::1';
  }

  private isLoopbackOrigin(origin: string): boolean {
    try {
      const url = new URL(origin);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      return (
        (host === 'localhost' || host === '127.0.0.1' || host === '::1') && Number(url.port) === this.listeningPort
      );
    } catch {
      return false;
    }
  }

  private asset(res: ServerResponse, type: string, body: string, extra: Record<string, string> = {}): void {
    res.writeHead(200, { ...SECURITY_HEADERS, ...extra, 'content-type': type });
    res.end(body);
  }

  private text(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
    res.end(message);
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.options.port, host: this.options.host }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        this.listeningPort = typeof address === 'object' && address !== null ? address.port : this.options.port;
        resolve();
      });
    });
  }
}

/** One Server-Sent Event. JSON never holds a raw line break, so the data is one line. */
function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
