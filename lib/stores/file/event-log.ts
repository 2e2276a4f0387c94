import { accessSync, constants, mkdirSync, readSync, openSync, closeSync, unlinkSync } from 'node:fs';
import type { StoredBatch, StoredEvent } from '../stored-records.js';
import { DirectoryLock } from './directory-lock.js';
import { FileStoreMessages as M } from './file-store.messages.js';
import { openLogFile } from './log-file.js';
import type { LogFile, LogFileOpener } from './log-file.js';
import { EventFrameEncoder } from './event-frame.js';
import type { EventFields } from './event-frame.js';
import { encodeRecord, RecordType } from './log-record.js';
import type { LogRecord } from './log-record.js';
import { decodeRecord, RecordType as Type } from './log-record.js';
import { QueuedLocations } from './queued-locations.js';
import { replayLog } from './log-recovery.js';
import type { RecordLocation, TornTail } from './log-recovery.js';
import { segmentPath } from './log-segments.js';

export interface EventLogOptions {
  directory: string;
  /** A segment is closed and a new one started past this size. */
  segmentBytes: number;
  /** Background `fdatasync` period; 0 syncs after every record (safest, slowest). */
  syncIntervalMs: number;
  /** Test seam: how segment files are opened (a size-limited file simulates a full disk). */
  openFile?: LogFileOpener;
}

/** What a previous run left in the log. */
export interface RecoveredLog {
  /** Queued events, left on disk: `readQueued` reads them back by position as the queue drains. */
  queued: { count: number; bytes: number; lastSeq: number };
  /** Frozen batches without a final outcome, oldest first, with their bodies and keys. */
  batches: StoredBatch[];
}

export interface EventLogOpened {
  log: EventLog;
  recovered: RecoveredLog;
  tornTails: TornTail[];
  /** The pid whose stale lock was taken over, if any. */
  tookOverFrom: number | null;
}

interface Segment {
  no: number;
  /** Live records held: queued events and unfinished batches. */
  live: number;
  /** Bytes of those live records. */
  liveBytes: number;
}

/** Reading queued events back: one read covers at most this many bytes, skipping gaps up to this size. */
const READ_RUN_BYTES = 1024 * 1024;
const READ_GAP_BYTES = 64 * 1024;

/** Below this share of live bytes, the oldest segment's live records are copied forward and it is deleted. */
const CARRY_FORWARD_RATIO = 0.25;

/**
 * The append-only log behind `FileEventStore`. Every record is written with a synchronous `write`
 * before the call returns, so once `appendEvent` returns true the event is in the operating system's
 * page cache and survives the process dying (a SIGKILL, an OOM kill, a crash). Reaching the platter is
 * batched: a background `fdatasync` every `syncIntervalMs`, so a machine crash or power loss can lose
 * at most that window of captures.
 *
 * Compaction is by segments: the log rolls to a new segment past `segmentBytes`; the oldest segments
 * are deleted once nothing in them is live; and a mostly-dead oldest segment has its few live records
 * copied to the newest one (frames copied byte for byte) so one long-retrying batch cannot pin the
 * whole log on disk.
 *
 * A failed write (a full disk) is cut back to where it began so the log never holds a half record
 * followed by good ones, and the caller is told (`false`): the event is reported as dropped, never lost
 * silently, and the process never crashes. Writing resumes by itself once the disk has room.
 */
export class EventLog {
  readonly directory: string;
  readonly #options: EventLogOptions;
  readonly #open: LogFileOpener;
  readonly #lock: DirectoryLock;
  readonly #segments: Segment[] = [];
  #active!: LogFile;
  /** Where each queued event's record is, oldest first: no per-event object, so a disk-sized backlog stays off the heap. */
  #queued = new QueuedLocations();
  readonly #batches = new Map<string, RecordLocation>();
  readonly #batchSizes = new Map<string, number>();
  readonly #events = new EventFrameEncoder();
  /** Events sent in a batch whose record the disk refused: live on disk until that batch is done. */
  readonly #unrecorded = new Map<string, RecordLocation>();
  /** Bytes per segment on disk. */
  readonly #sizes = new Map<number, number>();
  #lastBatchId = 0;
  #dirty = false;
  #syncing = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #rolling = false;
  /** The last write or sync error, redacted of nothing (paths and errno only); null while healthy. */
  #writeError: string | null = null;
  #syncError: string | null = null;
  #onProblem: (message: string, level: 'warn' | 'error') => void = () => {};

  private constructor(options: EventLogOptions, lock: DirectoryLock) {
    this.directory = options.directory;
    this.#options = options;
    this.#open = options.openFile ?? openLogFile;
    this.#lock = lock;
  }

  /**
   * Locks the directory, replays the log and opens a fresh segment for new records. Throws a clear
   * error when the directory cannot be written or another running process holds it.
   */
  static open(options: EventLogOptions): EventLogOpened {
    const { directory } = options;
    try {
      mkdirSync(directory, { recursive: true });
      accessSync(directory, constants.W_OK | constants.R_OK);
    } catch (error) {
      throw new Error(M.unwritable(directory, errorDetail(error)), { cause: error });
    }
    const lock = new DirectoryLock(directory);
    let tookOverFrom: number | null;
    try {
      tookOverFrom = lock.acquire().tookOverFrom;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EROFS' || code === 'ENOSPC') {
        throw new Error(M.unwritable(directory, errorDetail(error)), { cause: error });
      }
      throw error;
    }
    try {
      const log = new EventLog(options, lock);
      const replay = replayLog(directory);
      // Locations only, as while running: a backlog left by a crash is read back as the queue drains.
      const queued = replay.events.inCaptureOrder();
      const recovered: RecoveredLog = {
        queued: { count: queued.locations.size, bytes: queued.bytes, lastSeq: queued.lastSeq },
        batches: [],
      };
      const live = new Map<number, Segment>();
      const segmentOf = (no: number): Segment => {
        let segment = live.get(no);
        if (segment === undefined) live.set(no, (segment = { no, live: 0, liveBytes: 0 }));
        return segment;
      };
      log.#queued = queued.locations;
      for (let index = 0; index < queued.locations.size; index++) {
        const at = queued.locations.at(index);
        const segment = segmentOf(at.segment);
        segment.live += 1;
        segment.liveBytes += at.length;
      }
      for (const [id, { batch, at }] of replay.batches) {
        recovered.batches.push(batch);
        log.#batches.set(id, at);
        log.#batchSizes.set(id, batch.events.length);
        const segment = segmentOf(at.segment);
        segment.live += 1;
        segment.liveBytes += at.length;
      }
      log.#lastBatchId = replay.lastBatchId;
      for (const no of replay.segments) log.#segments.push(segmentOf(no));
      // A fresh segment per run: the previous one may end where a torn record was cut.
      const next = (replay.segments.at(-1) ?? 0) + 1;
      log.#active = log.#open(segmentPath(directory, next));
      log.#segments.push(segmentOf(next));
      log.#sizes.set(next, 0);
      for (const [no, size] of replay.sizes) log.#sizes.set(no, size);
      log.#deleteDeadSegments();
      log.#startSyncTimer();
      return { log, recovered, tornTails: replay.tornTails, tookOverFrom };
    } catch (error) {
      lock.release();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EROFS' || code === 'ENOSPC') {
        throw new Error(M.unwritable(directory, errorDetail(error)), { cause: error });
      }
      throw error;
    }
  }

  /** Where problems found while running (a full disk, a failed sync) are reported. */
  onProblem(report: (message: string, level: 'warn' | 'error') => void): void {
    this.#onProblem = report;
  }

  /** Queued events on disk, oldest first; `readQueued` reads them back by position. */
  get queuedCount(): number {
    return this.#queued.size;
  }

  /** Queued events, unfinished batches, and the events in those batches, on disk. */
  get depth(): { events: number; batches: number; batchedEvents: number } {
    let batchedEvents = 0;
    for (const size of this.#batchSizes.values()) batchedEvents += size;
    return { events: this.#queued.size, batches: this.#batches.size, batchedEvents };
  }

  /** Bytes of every segment on disk. */
  get diskBytes(): number {
    let total = 0;
    for (const size of this.#sizes.values()) total += size;
    return total;
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  /** Null while writes succeed; the last write failure otherwise (e.g. `ENOSPC: no space left on device`). */
  get writeError(): string | null {
    return this.#writeError;
  }

  /** A handle for the next batch, unique within this directory's lifetime. */
  nextBatchId(): string {
    this.#lastBatchId += 1;
    return this.#lastBatchId.toString(36);
  }

  /** Writes a captured event; false when the disk refused it (the caller reports it dropped). */
  appendEvent(event: StoredEvent): boolean {
    return this.appendCaptured(event, event.seq, event.enqueuedAt);
  }

  /**
   * `appendEvent` for the capture path, which holds the event and its queue position apart: one
   * `write` of a frame encoded into a reused buffer, and no object built for the record.
   */
  appendCaptured(event: EventFields, seq: number, enqueuedAt: number): boolean {
    if (this.#closed) return false;
    const frame =
      this.#events.encode(event, seq, enqueuedAt) ??
      encodeRecord({ type: RecordType.Event, event: { ...event, seq, enqueuedAt } });
    const at = this.#appendFrame(frame, true);
    if (at === null) return false;
    this.#queued.push(at, seq);
    return true;
  }

  /**
   * Reads back `count` queued events from the `from`-th oldest (0 = the oldest), as they were written:
   * the file store keeps only the oldest queued events in memory and reads the rest from here.
   */
  readQueued(from: number, count: number): StoredEvent[] {
    const events: StoredEvent[] = [];
    const fds = new Map<number, number>();
    const last = Math.min(from + count, this.#queued.size);
    try {
      // Records written one after another are read in one call: a backlog captured during an outage
      // sits in long runs, and a read per record would be a syscall per event on the drain's path.
      for (let index = from; index < last;) {
        const first = this.#queued.at(index);
        let end = first.offset + first.length;
        let next = index + 1;
        for (; next < last; next++) {
          const at = this.#queued.at(next);
          if (
            at.segment !== first.segment ||
            at.offset < end ||
            at.offset + at.length - first.offset > READ_RUN_BYTES
          ) {
            break;
          }
          // Small gaps (a batch or done record between two events) are read through rather than split on.
          if (at.offset - end > READ_GAP_BYTES) break;
          end = at.offset + at.length;
        }
        let fd = fds.get(first.segment);
        if (fd === undefined) fds.set(first.segment, (fd = openSync(segmentPath(this.directory, first.segment), 'r')));
        const run = Buffer.allocUnsafe(end - first.offset);
        readSync(fd, run, 0, run.length, first.offset);
        for (; index < next; index++) {
          const at = this.#queued.at(index);
          const decoded = decodeRecord(run.subarray(at.offset - first.offset, at.offset - first.offset + at.length), 0);
          if (!decoded.ok || decoded.record.type !== Type.Event) {
            throw new Error(
              M.unreadable(
                segmentPath(this.directory, at.segment),
                at.offset,
                decoded.ok ? 'not an event' : decoded.problem,
              ),
            );
          }
          events.push(decoded.record.event);
        }
      }
    } finally {
      for (const fd of fds.values()) closeSync(fd);
    }
    return events;
  }

  /**
   * Freezes queued events into a batch (body and key kept); false when the disk refused it, in which
   * case nothing changed on disk and the events are still queued there.
   */
  appendBatch(batch: StoredBatch): boolean {
    const at = this.#append({ type: RecordType.Batch, batch });
    if (at === null) {
      // The batch is sent anyway; its events leave the queue here but their records stay live until
      // `unrecordedBatchDone`, so a restart before it resends them (at least once, never lost).
      const left = this.#queuedPrefix(batch.events);
      for (let i = 0; i < left; i++) this.#unrecorded.set(batch.events[i]!.id, this.#queued.shift()!);
      return false;
    }
    this.#dequeue(batch.events);
    this.#batches.set(batch.id, at);
    this.#batchSizes.set(batch.id, batch.events.length);
    this.#deleteDeadSegments();
    return true;
  }

  /** The batch got its final outcome. If this write fails the batch is resent after a restart, under its frozen key. */
  batchDone(batchId: string): void {
    if (!this.#batches.has(batchId)) return;
    this.#append({ type: RecordType.BatchDone, batchId });
    this.#forget(this.#batches, batchId);
    this.#batchSizes.delete(batchId);
    this.#deleteDeadSegments();
  }

  /**
   * A batch whose record the disk refused got its outcome: its events are marked done, or they would
   * be sent again after a restart, and the segments holding them could never be deleted.
   */
  unrecordedBatchDone(events: readonly Pick<StoredEvent, 'id'>[]): void {
    const ids = events.map((event) => event.id).filter((id) => this.#unrecorded.has(id));
    if (ids.length === 0) return;
    this.#append({ type: RecordType.EventsDone, eventIds: ids });
    for (const id of ids) this.#forget(this.#unrecorded, id);
    this.#deleteDeadSegments();
  }

  /** The oldest queued events got an outcome without being batched (dropped). */
  eventsDone(events: readonly Pick<StoredEvent, 'id' | 'seq'>[]): void {
    const known = this.#queuedPrefix(events);
    if (known === 0) return;
    this.#append({ type: RecordType.EventsDone, eventIds: events.slice(0, known).map((event) => event.id) });
    this.#dequeue(events);
    this.#deleteDeadSegments();
  }

  /** Syncs what is written, closes the segment and releases the lock. What is live stays on disk. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    try {
      this.#active.syncNow();
    } catch (error) {
      this.#onProblem(M.syncFailed(this.directory, errorDetail(error)), 'warn');
    }
    try {
      this.#active.close();
    } finally {
      this.#lock.release();
    }
  }

  /** Queued events and batches are live records; done-records only mark others dead. */
  #append(record: LogRecord): RecordLocation | null {
    if (this.#closed) return null;
    const live = record.type === RecordType.Event || record.type === RecordType.Batch;
    return this.#appendFrame(encodeRecord(record), live);
  }

  /** `frame` may be the event encoder's reused buffer: nothing here encodes another event before writing it. */
  #appendFrame(frame: Buffer, live: boolean, retried = false): RecordLocation | null {
    const file = this.#active;
    const segment = this.#segments.at(-1)!;
    const position = file.size;
    try {
      file.write(frame, position);
      if (this.#options.syncIntervalMs === 0) file.syncNow();
    } catch (error) {
      // Cut back a partial write so the next record does not follow half a record.
      try {
        file.truncate(position);
      } catch {
        // Shrinking needs no space; if even that fails, recovery cuts the torn tail at the next start.
      }
      if (!retried && this.#rollDeadLog()) return this.#appendFrame(frame, live, true);
      const detail = errorDetail(error);
      if (this.#writeError === null) this.#onProblem(M.writeFailed(this.directory, detail), 'error');
      this.#writeError = detail;
      return null;
    }
    if (this.#writeError !== null) {
      this.#writeError = null;
      this.#onProblem(M.writeRecovered(this.directory), 'warn');
    }
    this.#dirty = true;
    this.#sizes.set(segment.no, file.size);
    if (live) {
      segment.live += 1;
      segment.liveBytes += frame.length;
    }
    const at = { segment: segment.no, offset: position, length: frame.length };
    if (file.size >= this.#options.segmentBytes && !this.#rolling) this.#roll();
    return at;
  }

  /**
   * How many of `events`, from the first, are the oldest queued ones: events leave the queue in the
   * order they were captured, so only the head is compared. Events already batched (a batch made again
   * from the survivors of a partial rejection) are not queued, and count 0.
   */
  #queuedPrefix(events: readonly Pick<StoredEvent, 'seq'>[]): number {
    let matched = 0;
    while (
      matched < events.length &&
      matched < this.#queued.size &&
      this.#queued.seqAt(matched) === events[matched]!.seq
    ) {
      matched += 1;
    }
    return matched;
  }

  /** The oldest queued events left the queue (batched or done): their records are no longer live. */
  #dequeue(events: readonly Pick<StoredEvent, 'seq'>[]): void {
    for (let left = this.#queuedPrefix(events); left > 0; left--) this.#release(this.#queued.shift()!);
  }

  /** A live record is done: its segment holds one live record fewer. */
  #forget(map: Map<string, RecordLocation>, id: string): void {
    const at = map.get(id);
    if (at === undefined) return;
    map.delete(id);
    this.#release(at);
  }

  #release(at: RecordLocation): void {
    const segment = this.#segments.find((candidate) => candidate.no === at.segment);
    if (segment !== undefined) {
      segment.live -= 1;
      segment.liveBytes -= at.length;
    }
  }

  /**
   * A full disk whose log holds nothing live any more (everything on it was delivered) frees itself:
   * the log rolls to a new segment and every dead one is deleted. Without this, a disk smaller than
   * `segmentBytes` stayed full for good, since only a successful write past that size rolls the log.
   */
  #rollDeadLog(): boolean {
    if (this.#rolling || this.#closed || this.#active.size === 0) return false;
    if (!this.#segments.every((segment) => segment.live === 0)) return false;
    try {
      this.#roll();
      return true;
    } catch {
      return false;
    }
  }

  #roll(): void {
    this.#rolling = true;
    try {
      this.#rollSegment();
    } finally {
      this.#rolling = false;
    }
  }

  #rollSegment(): void {
    const no = this.#segments.at(-1)!.no + 1;
    // Opened first: if the new segment cannot be created, the log keeps writing to the current one.
    const next = this.#open(segmentPath(this.directory, no));
    const old = this.#active;
    try {
      old.syncNow();
    } catch (error) {
      this.#onProblem(M.syncFailed(this.directory, errorDetail(error)), 'warn');
    }
    old.close();
    this.#active = next;
    this.#segments.push({ no, live: 0, liveBytes: 0 });
    this.#sizes.set(no, 0);
    this.#carryForwardOldest();
    this.#deleteDeadSegments();
  }

  /** Copies the few live records of a mostly-dead oldest segment to the newest, so it can be deleted. */
  #carryForwardOldest(): void {
    const oldest = this.#segments[0]!;
    if (this.#segments.length < 3 || oldest.live === 0) return;
    const size = this.#sizes.get(oldest.no) ?? 0;
    if (oldest.liveBytes > size * CARRY_FORWARD_RATIO) return;
    const path = segmentPath(this.directory, oldest.no);
    const fd = openSync(path, 'r');
    const copy = (at: RecordLocation): RecordLocation | null => {
      const frame = Buffer.allocUnsafe(at.length);
      readSync(fd, frame, 0, at.length, at.offset);
      const moved = this.#appendFrame(frame, true);
      if (moved === null) return null;
      // The copy is live in the newest segment; the original no longer counts.
      oldest.live -= 1;
      oldest.liveBytes -= at.length;
      return moved;
    };
    try {
      for (const index of this.#queued.indexesIn(oldest.no)) {
        const moved = copy(this.#queued.at(index));
        if (moved === null) return;
        this.#queued.move(index, moved);
      }
      for (const [id, at] of this.#batches) {
        if (at.segment !== oldest.no) continue;
        const moved = copy(at);
        if (moved === null) return;
        this.#batches.set(id, moved);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes segments from the oldest while nothing in them is live (never the one being written). */
  #deleteDeadSegments(): void {
    while (this.#segments.length > 1 && this.#segments[0]!.live === 0) {
      const segment = this.#segments.shift()!;
      this.#sizes.delete(segment.no);
      try {
        unlinkSync(segmentPath(this.directory, segment.no));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.#onProblem(M.writeFailed(this.directory, errorDetail(error)), 'warn');
        }
      }
    }
  }

  #startSyncTimer(): void {
    if (this.#options.syncIntervalMs === 0) return;
    this.#timer = setInterval(() => this.#syncInBackground(), this.#options.syncIntervalMs);
    this.#timer.unref();
  }

  #syncInBackground(): void {
    if (!this.#dirty || this.#syncing || this.#closed) return;
    this.#dirty = false;
    this.#syncing = true;
    const file = this.#active;
    file.sync((error) => {
      this.#syncing = false;
      if (error === null) {
        this.#syncError = null;
        return;
      }
      // A sync that fails after a roll closed the file is harmless: the roll synced it.
      if (this.#closed || file !== this.#active) return;
      this.#dirty = true;
      const detail = errorDetail(error);
      if (this.#syncError !== detail) this.#onProblem(M.syncFailed(this.directory, detail), 'warn');
      this.#syncError = detail;
    });
  }
}

function errorDetail(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
