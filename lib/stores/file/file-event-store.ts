import { EventQueueStore } from '../../delivery/event-queue-store.js';
import type {
  OpenedQueueStore,
  QueueStoreHooks,
  QueueStoreStatus,
  QueuedEvent,
} from '../../delivery/event-queue-store.js';
import type { FrozenBatch } from '../../delivery/frozen-batch.js';
import { MemoryEventQueue } from '../../delivery/memory-event-queue.js';
import { SpotzeeConfigurationError } from '../../delivery/errors.js';
import { preparedFromStored, storedFromQueued } from '../stored-records.js';
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
}

const DEFAULT_SYNC_INTERVAL_MS = 200;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

/**
 * Crash-safe delivery on one machine, with no server to run: every captured event is appended to a
 * log in `directory` before `track()` returns, batches are recorded with their exact bytes and
 * `Idempotency-Key` before their first send, and a restart resends what a crash left behind — a batch
 * that was in flight under the same key, so Spotzee's idempotency replay delivers it once.
 *
 * @example
 * SpotzeeModule.forRoot({ apiKey, store: new FileEventStore({ directory: '.spotzee' }) })
 */
export class FileEventStore extends EventQueueStore {
  readonly directory: string;
  readonly #options: Required<Omit<FileEventStoreOptions, 'directory'>>;
  readonly #seams: FileEventStoreSeams;
  readonly #queue = new MemoryEventQueue();
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
  }

  override get durable(): boolean {
    return true;
  }

  get size(): number {
    return this.#queue.size;
  }

  get bytes(): number {
    return this.#queue.bytes;
  }

  /** Locks the directory and replays the log. Throws a clear error for an unwritable or busy directory. */
  override open(hooks: QueueStoreHooks): OpenedQueueStore {
    if (this.#log !== null) throw new Error(M.lockedHere(this.directory));
    let opened;
    try {
      opened = EventLog.open({ directory: this.directory, ...this.#options, openFile: this.#seams.openFile });
    } catch (error) {
      throw new SpotzeeConfigurationError('store', error instanceof Error ? error.message : String(error));
    }
    const { log, recovered, tornTails, tookOverFrom } = opened;
    this.#log = log;
    log.onProblem((message, level) => hooks.log(level, message));
    if (tookOverFrom !== null) hooks.log('warn', M.staleLock(this.directory, tookOverFrom));
    for (const tail of tornTails) hooks.log('warn', M.tornTail(tail.file, tail.offset, tail.bytes, tail.problem));
    return {
      events: recovered.events.map(preparedFromStored),
      batches: recovered.batches.map((batch) => ({
        key: batch.key,
        body: batch.body,
        ref: batch.id,
        events: batch.events.map(preparedFromStored),
      })),
    };
  }

  /** Written (synchronously) before it is queued; false when the disk refused it. */
  push(entry: QueuedEvent): boolean {
    const log = this.#log;
    if (log === null || !log.appendEvent(storedFromQueued(entry))) return false;
    this.#queue.push(entry);
    return true;
  }

  override requeue(entry: QueuedEvent): void {
    this.#queue.push(entry);
  }

  peek(): QueuedEvent | undefined {
    return this.#queue.peek();
  }

  shift(): QueuedEvent | undefined {
    return this.#queue.shift();
  }

  /**
   * Recorded before its first send. If the disk refuses the record the batch is still sent (its events
   * are on disk as queued events); only a crash before it is acknowledged could then resend them.
   */
  override frozen(batch: FrozenBatch): void {
    const log = this.#log;
    if (log === null) return;
    const id = log.nextBatchId();
    const events = batch.entries.map(storedFromQueued);
    if (log.appendBatch({ id, key: batch.key, body: batch.body, events })) batch.storeRef = id;
  }

  override settled(batch: FrozenBatch): void {
    const log = this.#log;
    if (log === null) return;
    const ref = batch.storeRef;
    const ids = ref === null ? batch.entries.map((entry) => entry.event.id) : null;
    // After the current turn: a batch split on a 422 is settled just before its halves are recorded, and
    // a crash between the two writes must leave the events on disk in the old batch, not nowhere.
    queueMicrotask(() => {
      if (ref !== null) log.batchDone(ref);
      else log.eventsDone(ids!);
    });
  }

  override discarded(entries: readonly QueuedEvent[]): void {
    this.#log?.eventsDone(entries.map((entry) => entry.event.id));
  }

  override status(): QueueStoreStatus {
    const log = this.#log;
    if (log === null) return { name: 'file', up: false, depth: 0, problem: 'not open' };
    const depth = log.depth;
    return {
      name: 'file',
      up: log.writeError === null,
      depth: depth.events + depth.batchedEvents,
      problem: log.writeError,
    };
  }

  override close(): Promise<void> {
    this.#log?.close();
    return Promise.resolve();
  }
}
