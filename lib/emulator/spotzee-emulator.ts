/**
 * SpotzeeEmulator: a local stand-in for Spotzee's `POST /api/client/events`, with no dependency beyond
 * `node:http`. It implements the contract the library talks to (auth, versioning, the bare-array body
 * and its validation, idempotency with replays, mismatches and in-progress conflicts, rate-limit
 * headers, problem+json errors) and records everything it receives, so that local development and demos
 * need no Spotzee account and tests can assert the exact bytes, keys and outcomes on the wire.
 *
 * Faults (error statuses, 429s, resets, responses lost after acceptance, slow answers, raw responses),
 * seeded chaos and outages (`down()`/`up()` on the same port) let clients be tested against the
 * failures a real network produces, deterministically.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { answerReceivedListing, RECEIVED_PATH } from './received-listing.endpoint.js';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { redactHeaders } from './authorization-redaction.js';
import type { ChaosOptions, EmulatorFault, FaultKind, InjectedFaultHandle, InjectOptions } from './emulator-fault.js';
import { EmulatorJournal } from './emulator-journal.js';
import {
  EMULATOR_API_KEY,
  resolveEmulatorOptions,
  type ResolvedEmulatorOptions,
  type SpotzeeEmulatorOptions,
} from './emulator-options.js';
import type { EmulatorStats, ReceivedBatch, ReceivedEvent, RequestRecord } from './emulator-records.js';
import type { EmulatorResponse } from './emulator-response.js';
import { EmulatorWaits, type WaitOptions } from './emulator-waits.js';
import { EventsEndpoint, type EndpointResult } from './events-endpoint.js';
import { FaultPlan } from './fault-plan.js';
import { faultResponse, rawFaultResponse } from './fault-responses.js';
import { IdempotencyStore } from './idempotency-store.js';
import { EmulatorInspector, MAX_INSPECTOR_HISTORY } from './inspector/emulator-inspector.js';
import { problemResponse } from './problem-details.js';
import { RateLimitWindow } from './rate-limit-window.js';
import { readRequestBody } from './request-body.reader.js';
import { apiKeyScope, bearerToken } from './request-headers.validator.js';

export interface DownOptions {
  /**
   * `refuse` (default) closes the listening socket: new connections are refused. `reset` keeps the
   * port and resets every new connection. Both drop the connections that are open.
   */
  mode?: 'refuse' | 'reset';
}

type State = 'up' | 'down' | 'stopped';

interface Sleep {
  timer: NodeJS.Timeout;
  resolve: () => void;
}

export class SpotzeeEmulator {
  private readonly options: ResolvedEmulatorOptions;
  private readonly server: Server;
  private readonly journal: EmulatorJournal;
  private readonly plan = new FaultPlan();
  private readonly idempotency: IdempotencyStore;
  private readonly rateLimit: RateLimitWindow;
  private readonly endpoint: EventsEndpoint;
  private readonly sleeps = new Set<Sleep>();
  private readonly waits: EmulatorWaits;
  private attempts = new Map<string, number>();
  private state: State = 'down';
  private downMode: 'refuse' | 'reset' = 'refuse';
  private listeningPort = 0;
  private seq = 0;
  /** Bumped by `reset()` and `stop()`: requests that began before are dropped, not recorded. */
  private generation = 0;
  private inspector: EmulatorInspector | null = null;

  static async start(options: SpotzeeEmulatorOptions = {}): Promise<SpotzeeEmulator> {
    const emulator = new SpotzeeEmulator(options);
    await emulator.listen(emulator.options.port);
    emulator.state = 'up';
    if (emulator.options.inspector) {
      try {
        emulator.inspector = await EmulatorInspector.start({
          host: emulator.options.host,
          port: emulator.options.inspectorPort,
          target: emulator,
          historySize: Math.min(MAX_INSPECTOR_HISTORY, emulator.options.maxRecordedRequests),
          subscribe: (listener) => emulator.journal.watch(listener),
        });
      } catch (error) {
        await emulator.stop();
        throw error;
      }
    }
    return emulator;
  }

  private constructor(options: SpotzeeEmulatorOptions) {
    this.options = resolveEmulatorOptions(options);
    this.journal = new EmulatorJournal({
      retainEvents: this.options.retainEvents,
      maxRecordedRequests: this.options.maxRecordedRequests,
    });
    this.idempotency = new IdempotencyStore(this.options.idempotencyTtlMs, this.options.clock);
    this.rateLimit = new RateLimitWindow(this.options.rateLimit, this.options.clock);
    this.endpoint = new EventsEndpoint({
      options: this.options,
      idempotency: this.idempotency,
      rateLimit: this.rateLimit,
      journal: this.journal,
      pause: (ms) => this.pause(ms),
    });
    this.waits = new EmulatorWaits(this.journal, () => this.state);
    this.server = createServer({ noDelay: true }, (req, res) => void this.onRequest(req, res));
    this.server.on('connection', (socket: Socket) => {
      if (this.state === 'down' && this.downMode === 'reset') socket.resetAndDestroy();
    });
  }

  /** What the library's `baseUrl` option takes: `http://127.0.0.1:PORT/api/client`. */
  get baseUrl(): string {
    // A wildcard bind is reachable on loopback, and clients insist on loopback for plain http.
    const bound =
      this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host === '::' ? '::1' : this.options.host;
    const host = bound.includes(':') ? `[${bound}]` : bound;
    return `http://${host}:${this.listeningPort}/api/client`;
  }

  /** `GET` it (curl, a browser) to list the events received so far, as JSON; `?name=` filters by name. */
  get receivedUrl(): string {
    return `${this.baseUrl.replace(/\/api\/client$/, '')}${RECEIVED_PATH}`;
  }

  /** The full events endpoint URL. */
  get eventsUrl(): string {
    return `${this.baseUrl}/events`;
  }

  get port(): number {
    return this.listeningPort;
  }

  /**
   * The live inspector page: every request and event as it arrives, with buttons that inject faults.
   * It listens on its own port, so it stays up while `down()` simulates an outage.
   */
  get inspectorUrl(): string {
    if (this.inspector === null) {
      throw new Error('SpotzeeEmulator: the inspector is off (started with inspector: false).');
    }
    return this.inspector.url;
  }

  /** A key this emulator accepts: the first configured one, or `sk_test_emulator`. */
  get apiKey(): string {
    return this.options.apiKeys === null ? EMULATOR_API_KEY : [...this.options.apiKeys][0]!;
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  /** Every accepted event, in arrival order. Replays add nothing. The live array: copy it to keep a snapshot. */
  get events(): readonly ReceivedEvent[] {
    return this.journal.events;
  }

  /** Every accepted batch, in acceptance order. */
  get batches(): readonly ReceivedBatch[] {
    return this.journal.batches;
  }

  /** Every finished HTTP request, in completion order (see `seq` for arrival order). */
  get requests(): readonly RequestRecord[] {
    return this.journal.requests;
  }

  eventsNamed(name: string): ReceivedEvent[] {
    return this.journal.eventsNamed(name);
  }

  stats(): EmulatorStats {
    return this.journal.stats();
  }

  /** Queues a fault for the next matching request(s). Injected faults take precedence over chaos. */
  inject(fault: EmulatorFault, options?: InjectOptions): InjectedFaultHandle {
    return this.plan.inject(fault, options);
  }

  /** Random faults at `rate`, from a seeded PRNG: the same seed and request order give the same faults. `null` turns it off. */
  chaos(options: ChaosOptions | null): void {
    this.plan.chaos(options);
  }

  /** Withdraws injected faults and turns chaos off. */
  clearFaults(): void {
    this.plan.clear();
  }

  /** Injected faults still waiting for a request. */
  get pendingFaults(): number {
    return this.plan.pending;
  }

  /** Simulates an outage. Open connections are dropped; requests already being processed may still be accepted. */
  async down(options: DownOptions = {}): Promise<void> {
    if (this.state !== 'up') return;
    this.state = 'down';
    this.downMode = options.mode ?? 'refuse';
    if (this.downMode === 'refuse') {
      const closed = this.closeServer();
      this.server.closeAllConnections();
      await closed;
    } else {
      this.server.closeAllConnections();
    }
  }

  /** Ends an outage, listening again on the same port. */
  async up(): Promise<void> {
    if (this.state !== 'down') return;
    if (this.downMode === 'refuse') await this.relisten();
    this.state = 'up';
  }

  /** Forgets everything received, the faults, the idempotency memory and the rate-limit windows. */
  reset(): void {
    this.generation += 1;
    this.seq = 0;
    this.attempts = new Map();
    this.journal.clear();
    this.plan.clear();
    this.idempotency.clear();
    this.rateLimit.clear();
    this.inspector?.clear();
  }

  /** Resolves with the accepted events once at least `count` were accepted. */
  async waitForEvents(count: number, options: WaitOptions = {}): Promise<ReceivedEvent[]> {
    await this.waits.waitFor(() => this.journal.acceptedEvents >= count, `at least ${count} accepted events`, options);
    return [...this.journal.events];
  }

  /** Resolves with the request records once at least `count` requests finished. */
  async waitForRequests(count: number, options: WaitOptions = {}): Promise<RequestRecord[]> {
    await this.waits.waitFor(
      () => this.journal.finishedRequests >= count,
      `at least ${count} finished requests`,
      options,
    );
    return [...this.journal.requests];
  }

  /** Resolves once `condition` holds; it is checked now and whenever a request starts or finishes and a batch is accepted. */
  async waitUntil(
    condition: (emulator: SpotzeeEmulator) => boolean,
    options: WaitOptions & { description?: string } = {},
  ): Promise<void> {
    await this.waits.waitFor(() => condition(this), options.description ?? 'the condition', options);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const listening = this.server.listening;
    this.state = 'stopped';
    this.generation += 1;
    for (const sleep of this.sleeps) {
      clearTimeout(sleep.timer);
      sleep.resolve();
    }
    this.sleeps.clear();
    this.waits.stop();
    await this.inspector?.stop();
    if (listening) {
      const closed = this.closeServer();
      this.server.closeAllConnections();
      await closed;
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // Outside the recorded API traffic: listing what was received is not a request to Spotzee.
      if (this.state === 'up' && answerReceivedListing(req, res, this)) return;
      await this.handleRequest(req, res);
    } catch (error) {
      // Only a throwing user callback (a fault matcher) or invalid raw headers get here; say which.
      process.emitWarning(
        `SpotzeeEmulator: request handling failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('SpotzeeEmulator internal error');
      } else {
        this.destroy(req);
      }
    }
  }

  private async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const generation = this.generation;
    const isCurrent = () => this.generation === generation;
    const seq = ++this.seq;
    const started = performance.now();
    const receivedAt = new Date();
    const requestId = `req_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const headers = redactHeaders(req.headers);
    const keyHeader = req.headers['idempotency-key'];
    const idempotencyKey = typeof keyHeader === 'string' ? keyHeader : null;
    let aborted = false;
    res.on('close', () => {
      if (!res.writableFinished) aborted = true;
    });

    this.journal.requestStarted();
    try {
      const read = await readRequestBody(req, this.options.maxBodyBytes);
      const bodyBytes = read.kind === 'complete' ? read.body.length : read.bytes;
      const body = read.kind === 'complete' ? read.body : Buffer.alloc(0);
      const bodyText = body.toString('utf8');
      // `unsent`: the server decided on a response (replay, rejection…) but deliberately never sent it.
      const record = (
        response: EmulatorResponse | null,
        extra: { fault?: FaultKind; acceptedEvents?: number; unsent?: boolean } = {},
      ): void => {
        if (!isCurrent()) return;
        const entry: RequestRecord = {
          seq,
          method,
          path,
          headers,
          idempotencyKey,
          body: bodyText,
          bodyBytes,
          status: response === null || extra.unsent === true ? null : response.status,
          replayed: response?.replayed === true,
          requestId,
          acceptedEvents: extra.acceptedEvents ?? 0,
          aborted,
          receivedAt,
          durationMs: performance.now() - started,
        };
        if (response?.code !== undefined) entry.code = response.code;
        if (extra.fault !== undefined) entry.fault = extra.fault;
        this.journal.addRequest(entry);
      };

      if (read.kind === 'aborted') {
        aborted = true;
        return record(null);
      }
      if (read.kind === 'too_large') {
        const response = problemResponse(
          {
            status: 413,
            code: 'payload_too_large',
            message: `The request body is ${read.bytes} bytes; at most ${this.options.maxBodyBytes} are accepted. Send smaller batches.`,
          },
          requestId,
        );
        this.send(req, res, requestId, response);
        return record(response);
      }

      const fault = this.plan.next({
        seq,
        method,
        path,
        headers,
        idempotencyKey,
        body: bodyText,
        bodyBytes,
        attempt: this.countAttempt(req, idempotencyKey),
      });
      if (fault !== null) this.journal.countFault(fault.kind);

      const early = fault === null ? null : faultResponse(fault, requestId);
      if (fault?.kind === 'reset') {
        this.destroy(req);
        return record(null, { fault: 'reset' });
      }
      if (early !== null) {
        if (fault?.kind === 'status' && fault.remember === true) {
          this.endpoint.rememberRefusal(req.headers, body, early);
        }
        this.send(req, res, requestId, early);
        return record(early, { fault: fault!.kind });
      }

      const result: EndpointResult | null = await this.endpoint.handle({
        method,
        path,
        headers: req.headers,
        body,
        bodyText,
        requestId,
        extraDelayMs: fault?.kind === 'slow' ? fault.delayMs : 0,
        holdUntil: fault?.kind === 'slow' ? fault.until : undefined,
        isCurrent,
      });
      if (result === null) {
        this.destroy(req);
        return;
      }
      const faultInfo = { fault: fault?.kind, acceptedEvents: result.acceptedEvents };
      if (fault?.kind === 'lost_response') {
        this.destroy(req);
        return record(result.response, { ...faultInfo, unsent: true });
      }
      const response = fault?.kind === 'raw' ? rawFaultResponse(fault) : result.response;
      this.send(req, res, requestId, response);
      record(response, faultInfo);
    } finally {
      this.journal.requestEnded();
    }
  }

  private send(req: IncomingMessage, res: ServerResponse, requestId: string, response: EmulatorResponse): void {
    if (res.destroyed || req.socket.destroyed || res.headersSent) return;
    res.writeHead(response.status, { 'x-request-id': requestId, ...response.headers });
    res.end(response.body);
  }

  private destroy(req: IncomingMessage): void {
    const socket = req.socket;
    if (socket.destroyed) return;
    // A TCP RST, so clients see ECONNRESET exactly as with a crashed upstream.
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
  }

  private countAttempt(req: IncomingMessage, idempotencyKey: string | null): number {
    if (idempotencyKey === null) return 0;
    const token = bearerToken(req.headers.authorization);
    const key = `${token === null ? '' : apiKeyScope(token)}:${idempotencyKey}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    return attempt;
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0 || this.state === 'stopped') return Promise.resolve();
    return new Promise((resolve) => {
      const sleep: Sleep = {
        timer: setTimeout(() => {
          this.sleeps.delete(sleep);
          resolve();
        }, ms),
        resolve,
      };
      this.sleeps.add(sleep);
    });
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => {
        this.server.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        this.server.off('error', onError);
        const address = this.server.address();
        this.listeningPort = typeof address === 'object' && address !== null ? address.port : port;
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen({ port, host: this.options.host });
    });
  }

  /** Re-listens on the same port; another process may briefly hold it, so retry before giving up. */
  private async relisten(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        await this.listen(this.listeningPort);
        return;
      } catch (error) {
        lastError = error;
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    throw new Error(
      `SpotzeeEmulator: could not listen again on ${this.options.host}:${this.listeningPort}: ${(lastError as Error).message}`,
    );
  }

  private closeServer(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
