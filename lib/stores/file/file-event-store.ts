import { DurableEventStore } from '../durable-event-store.js';
import type {
  QueueStoreStatus,
  QueuedEvent,
  RecoveredQueue,
  StoredBatch,
  TakeLimits,
} from '../../delivery/queue/event-queue-store.js';
import { SpotzeeConfigurationError } from '../../delivery/errors.js';
import { queuedFromStored, storedFromQueued } from '../stored-records.js';
import { EventLog } from './event-log.js';
import type { LogFileOpener } from './log-file.js';
import { FileStoreMessages as M } from './file-store.messages.js';

export interface FileEventStoreOptions {
  /** Where the log lives, e.g. `.spotzee`. Created if missing; one process per directory. */
  directory: string;
  /**
   * How often written records are flushed to the disk itself (`fdatasync`), in the background. A
   * process crash loses nothing either way; a machine crash or power loss can lose the captures of
   * the last interval. 0 syncs after every record: the safest, and far slower. Default 200 ms.
   */
  syncIntervalMs?: number;
  /** The log rolls to a new segment file past this size; dead segments are deleted. Default 16 MiB. */
  segmentBytes?: number;
}

/** Test seams: a file opener that fills up at a chosen size, where a small tmpfs cannot be mounted. */
export interface FileEventStoreSeams {
  openFile?: LogFileOpener;
  /** Queued events kept in memory before the rest are read back from the log (default 4096). */
  memoryEvents?: number;
}

const DEFAULT_SYNC_INTERVAL_MS = 200;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
/**
 * The oldest queued events are kept in memory, ready to batch; past this many, new ones live only in
 * the log until the queue drains down to them. The heap then stays flat however long an outage lasts
 * (the log keeps 24 bytes per event of where each record is), and the queue limits can be sized to
 * the disk.
 */
const DEFAULT_MEMORY_EVENTS = 4096;
/**
 * Events read back from the log at most per call: a read costs a few microseconds per event, and
 * the event loop must not stall on a large backlog being drained.
 */
const READ_BACK_EVENTS = 256;

/**
 * Crash-safe delivery on one machine, with no server to run: every captured event is appended to a
 * log in `directory` before `track()` returns, batches are recorded with their exact bytes and
 * `Idempotency-Key` before their first send, and a restart resends what a crash left behind — a batch
 * that was in flight under the same key, so Spotzee's idempotency replay delivers it once.
 *
 * @example
 * SpotzeeModule.forRoot({ apiKey, store: new FileEventStore({ directory: '.spotzee' }) })
 */
export class FileEventStore extends DurableEventStore {
  readonly directory: string;
  readonly #options: Required<Omit<FileEventStoreOptions, 'directory'>>;
  readonly #seams: FileEventStoreSeams;
  readonly #memoryEvents: number;
  #spilled = 0;
  #spilledBytes = 0;
  /** Reading back failed once (reported once, not on every scheduling decision). */
  #readFailed = false;
  /** Batch key → the log's handle for it. */
  readonly #refs = new Map<string, string>();
  #log: EventLog | null = null;

  constructor(options: FileEventStoreOptions, seams: FileEventStoreSeams = {}) {
    super();
    if (typeof options?.directory !== 'string' || options.directory.trim() === '') {
      throw new SpotzeeConfigurationError(
        'store',
        M.invalidOption('directory', `must be a non-empty path, e.g. new FileEventStore({ directory: '.spotzee' }).`),
      );
    }
    const syncIntervalMs = options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS;
    if (!Number.isSafeInteger(syncIntervalMs) || syncIntervalMs < 0 || syncIntervalMs > 60_000) {
      throw new SpotzeeConfigurationError(
        'store',
        M.invalidOption('syncIntervalMs', `must be an integer from 0 to 60000 ms (got ${String(syncIntervalMs)}).`),
      );
    }
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 4096) {
      throw new SpotzeeConfigurationError(
        'store',
        M.invalidOption('segmentBytes', `must be an integer of at least 4096 bytes (got ${String(segmentBytes)}).`),
      );
    }
    this.directory = options.directory;
    this.#options = { syncIntervalMs, segmentBytes };
    this.#seams = seams;
    this.#memoryEvents = seams.memoryEvents ?? DEFAULT_MEMORY_EVENTS;
  }

  override get size(): number {
    return this.queue.size + this.#spilled;
  }

  override get bytes(): number {
    return this.queue.bytes + this.#spilledBytes;
  }

  override peek(): QueuedEvent | undefined {
    if (this.queue.size === 0) this.#readBack(1);
    return this.queue.peek();
  }

  /** Locks the directory and replays the log. Throws a clear error for an unwritable or busy directory. */
  override recover(): RecoveredQueue {
    if (this.#log !== null) throw new Error(M.lockedHere(this.directory));
    let opened;
    try {
      opened = EventLog.open({ directory: this.directory, ...this.#options, openFile: this.#seams.openFile });
    } catch (error) {
      throw new SpotzeeConfigurationError('store', error instanceof Error ? error.message : String(error));
    }
    const { log, recovered, tornTails, tookOverFrom } = opened;
    this.#log = log;
    const hooks = this.hooks;
    log.onProblem((message, level) => hooks?.log(level, message));
    if (tookOverFrom !== null) hooks?.log('warn', M.staleLock(this.directory, tookOverFrom));
    for (const tail of tornTails) hooks?.log('warn', M.tornTail(tail.file, tail.offset, tail.bytes, tail.problem));
    // The queued events stay on disk, counted, and come into memory as the queue drains down to them,
    // exactly as a backlog does while running: the heap after a restart does not grow with the backlog.
    const { queued } = recovered;
    this.#spilled = queued.count;
    this.#spilledBytes = queued.bytes;
    const batches = recovered.batches.map((batch) => {
      this.#refs.set(batch.key, batch.id);
      return { key: batch.key, body: batch.body, entries: batch.events.map(queuedFromStored) };
    });
    if (queued.count > 0 || batches.length > 0) {
      hooks?.log('warn', M.recovered(this.directory, queued.count, batches.length));
    }
    return { events: [], backlog: { count: queued.count, lastSeq: queued.lastSeq }, batches };
  }

  /** Written (synchronously) before it is queued; a refused write throws, and the engine reports the drop. */
  append(entry: QueuedEvent): void {
    const log = this.#requireLog();
    if (!log.appendCaptured(entry.event, entry.seq, entry.enqueuedAt)) {
      throw new Error(M.notWritten(log.writeError ?? 'unknown error'));
    }
    if (this.#spilled === 0 && this.queue.size < this.#memoryEvents) {
      this.queue.append(entry);
    } else {
      // Only on disk until the queue drains down to it: the heap does not grow with the backlog.
      this.#spilled += 1;
      this.#spilledBytes += entry.event.bytes;
    }
  }

  /**
   * The oldest events. The engine freezes them into a batch and tells `frozen()` in the same call, before
   * the first send: that is where the batch is recorded, with the key and body the engine computed
   * once for the request itself.
   */
  take(limits: TakeLimits): QueuedEvent[] {
    if (this.queue.size < limits.maxEvents) this.#readBack(limits.maxEvents - this.queue.size);
    return this.queue.take(limits);
  }

  /** Queued events discarded (drop-oldest, or the deadline): they are done on disk too. */
  shift(): QueuedEvent | undefined {
    if (this.queue.size === 0) this.#readBack(1);
    const entry = this.queue.shift();
    if (entry !== undefined) this.#log?.eventsDone([{ id: entry.event.id, seq: entry.seq }]);
    return entry;
  }

  /**
   * A new batch, from `take()` or from the survivors of a partial rejection: recorded (its exact body and
   * `Idempotency-Key`) before its first send, so a crash from here on resends it under the same key.
   */
  override frozen(batch: StoredBatch): void {
    if (!this.#refs.has(batch.key)) this.#record(batch);
  }

  override acknowledge(batch: StoredBatch): void {
    const ref = this.#refs.get(batch.key);
    if (ref === undefined) {
      // Its batch record could not be written (a full disk): its events are still queued on disk, and
      // without this they would be sent again after a restart, under a new key.
      this.#log?.unrecordedBatchDone(batch.entries.map((entry) => entry.event));
      return;
    }
    this.#refs.delete(batch.key);
    this.#log?.batchDone(ref);
  }

  override status(): QueueStoreStatus {
    const log = this.#log;
    if (log === null) return { name: 'file', up: false, depth: 0, problem: 'not open yet' };
    const depth = log.depth;
    return {
      name: 'file',
      up: log.writeError === null,
      depth: depth.events + depth.batchedEvents,
      problem: log.writeError,
    };
  }

  override close(): void {
    this.#log?.close();
  }

  #record(batch: StoredBatch): void {
    const log = this.#log;
    if (log === null) return;
    const id = log.nextBatchId();
    // If the disk refuses the record the batch is still sent: its events stay on disk as queued events.
    if (log.appendBatch({ id, key: batch.key, body: batch.body, events: batch.entries.map(storedFromQueued) })) {
      this.#refs.set(batch.key, id);
    }
  }

  /**
   * Brings the oldest events that are only on disk back into memory, at least `wanted` (within one
   * read's cap), topping up a read to a cheap batch of them: they are the newest of the log's queued
   * events, right after those in memory.
   */
  #readBack(wanted: number): void {
    const log = this.#log;
    if (this.#spilled === 0 || log === null) return;
    const room = Math.max(wanted, Math.min(READ_BACK_EVENTS, this.#memoryEvents - this.queue.size));
    const count = Math.min(this.#spilled, READ_BACK_EVENTS, room);
    let read;
    try {
      read = log.readQueued(log.queuedCount - this.#spilled, count);
    } catch (error) {
      // Only a log changed behind the store's back gets here; `peek()` and `take()` must never throw into
      // the engine. The events stay pending (counted, on disk), and a restart recovers what is whole.
      if (!this.#readFailed) this.hooks?.log('error', error instanceof Error ? error.message : String(error));
      this.#readFailed = true;
      return;
    }
    for (const stored of read) {
      const entry = queuedFromStored(stored);
      this.queue.append(entry);
      this.#spilled -= 1;
      this.#spilledBytes -= entry.event.bytes;
    }
  }

  #requireLog(): EventLog {
    if (this.#log === null) throw new Error(M.notOpen());
    return this.#log;
  }
}
