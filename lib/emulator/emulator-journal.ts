import { FAULT_KINDS, type FaultKind } from './emulator-fault.js';
import type { EmulatorStats, ReceivedBatch, ReceivedEvent, RequestRecord } from './emulator-records.js';

export interface JournalLimits {
  /** Keep events and batches (false: count them only, for long benchmarks). */
  retainEvents: boolean;
  /** Request records kept; the oldest go first. Counters stay exact. */
  maxRecordedRequests: number;
}

/** What the endpoint knows of an accepted batch; the journal adds its position and arrival time. */
export type NewBatch = Omit<ReceivedBatch, 'index' | 'receivedAt'>;

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
}

/**
 * What the emulator received, and the counters behind `stats()`. Counters are maintained as things
 * happen, so `stats()` and waits stay O(1) however many requests a chaos run sends.
 */
export class EmulatorJournal {
  events: ReceivedEvent[] = [];
  batches: ReceivedBatch[] = [];
  requests: RequestRecord[] = [];
  private byName = new Map<string, ReceivedEvent[]>();
  private counters = emptyCounters();
  private waiters = new Set<Waiter>();
  private readonly watchers = new Set<(record: RequestRecord) => void>();
  private running = 0;

  constructor(private readonly limits: JournalLimits) {}

  addBatch(input: NewBatch): ReceivedBatch {
    const receivedAt = new Date();
    const batch: ReceivedBatch = {
      index: this.counters.acceptedBatches,
      idempotencyKey: input.idempotencyKey,
      requestId: input.requestId,
      events: input.events,
      body: input.body,
      bytes: input.bytes,
      apiVersion: input.apiVersion,
      receivedAt,
    };
    this.counters.acceptedBatches += 1;
    this.counters.acceptedEvents += input.events.length;
    if (this.limits.retainEvents) {
      this.batches.push(batch);
      input.events.forEach((event, indexInBatch) => {
        const received: ReceivedEvent = {
          event,
          idempotencyKey: input.idempotencyKey,
          requestId: input.requestId,
          receivedAt,
          batchIndex: batch.index,
          indexInBatch,
        };
        this.events.push(received);
        const named = this.byName.get(event.name);
        if (named === undefined) this.byName.set(event.name, [received]);
        else named.push(received);
      });
    }
    this.notify();
    return batch;
  }

  addRequest(record: RequestRecord): void {
    const counters = this.counters;
    counters.requests += 1;
    counters.bytesReceived += record.bodyBytes;
    const statusKey = record.status === null ? 'none' : String(record.status);
    counters.statuses[statusKey] = (counters.statuses[statusKey] ?? 0) + 1;
    if (record.replayed) counters.replays += 1;
    if (record.code === 'idempotency_key_mismatch') counters.idempotencyMismatches += 1;
    if (record.code === 'idempotency_in_progress') counters.idempotencyInProgress += 1;
    if (record.status !== null && record.status >= 400 && record.status < 500 && record.code !== undefined) {
      counters.clientErrors[record.code] = (counters.clientErrors[record.code] ?? 0) + 1;
    }
    const max = this.limits.maxRecordedRequests;
    if (max > 0) {
      this.requests.push(record);
      // Trim in chunks so a capped journal stays amortised O(1) per request.
      if (this.requests.length > max + Math.ceil(max / 10)) this.requests.splice(0, this.requests.length - max);
    }
    for (const watcher of this.watchers) watcher(record);
    this.notify();
  }

  /** Calls `watcher` with every request record as it is added, retained or not. Returns the unsubscribe function. */
  watch(watcher: (record: RequestRecord) => void): () => void {
    this.watchers.add(watcher);
    return () => void this.watchers.delete(watcher);
  }

  requestStarted(): void {
    this.running += 1;
    this.notify();
  }

  requestEnded(): void {
    this.running -= 1;
    this.notify();
  }

  get acceptedEvents(): number {
    return this.counters.acceptedEvents;
  }

  get finishedRequests(): number {
    return this.counters.requests;
  }

  countFault(kind: FaultKind): void {
    this.counters.faults[kind] += 1;
  }

  eventsNamed(name: string): ReceivedEvent[] {
    return [...(this.byName.get(name) ?? [])];
  }

  stats(): EmulatorStats {
    const counters = this.counters;
    return {
      ...counters,
      inFlight: this.running,
      faults: { ...counters.faults },
      statuses: { ...counters.statuses },
      clientErrors: { ...counters.clientErrors },
    };
  }

  /** Resolves once `ready()` holds; checked now and whenever a request starts or ends and a batch is accepted. */
  waitUntil(ready: () => boolean): { promise: Promise<void>; cancel: () => void } {
    let waiter: Waiter | undefined;
    const promise = new Promise<void>((resolve) => {
      if (ready()) return resolve();
      waiter = { ready, resolve };
      this.waiters.add(waiter);
    });
    return { promise, cancel: () => waiter !== undefined && void this.waiters.delete(waiter) };
  }

  clear(): void {
    this.events = [];
    this.batches = [];
    this.requests = [];
    this.byName = new Map();
    this.counters = emptyCounters();
  }

  private notify(): void {
    for (const waiter of this.waiters) {
      if (waiter.ready()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}

type Counters = Omit<EmulatorStats, 'inFlight'>;

function emptyCounters(): Counters {
  return {
    requests: 0,
    acceptedBatches: 0,
    acceptedEvents: 0,
    replays: 0,
    idempotencyMismatches: 0,
    idempotencyInProgress: 0,
    faults: Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>,
    statuses: {},
    clientErrors: {},
    bytesReceived: 0,
  };
}
