import { readFileSync, truncateSync } from 'node:fs';
import type { StoredBatch } from '../stored-records.js';
import { decodeRecord, RecordType } from './log-record.js';
import type { FrameProblem, LogRecord } from './log-record.js';
import { listSegments, segmentPath } from './log-segments.js';
import { ReplayedEvents } from './replayed-events.js';

/** Where a live record sits, so compaction can copy its frame forward without re-encoding it. */
export interface RecordLocation {
  segment: number;
  offset: number;
  length: number;
}

/** A cut made because a segment ended in something that is not a whole, checksummed record. */
export interface TornTail {
  file: string;
  offset: number;
  /** Bytes removed from the end of the file. */
  bytes: number;
  problem: FrameProblem;
}

export interface LogReplay {
  /** Queued events, by where their records are: their bodies stay on disk. */
  events: ReplayedEvents;
  batches: Map<string, { batch: StoredBatch; at: RecordLocation }>;
  segments: number[];
  /** Bytes per segment after any cut. */
  sizes: Map<number, number>;
  /** The highest batch id seen, so new ids never reuse one. */
  lastBatchId: number;
  tornTails: TornTail[];
}

/**
 * Replays every segment in order. Later records win: a batch takes its events out of the queue, a
 * done record removes a batch or queued events, and a record copied forward by compaction replaces
 * its older copy. Anything after the last whole record of a segment (a torn write) is cut off and
 * reported, never read as data.
 */
export function replayLog(directory: string): LogReplay {
  const replay: LogReplay = {
    events: new ReplayedEvents(),
    batches: new Map(),
    segments: listSegments(directory),
    sizes: new Map(),
    lastBatchId: 0,
    tornTails: [],
  };
  for (const segment of replay.segments) {
    const file = segmentPath(directory, segment);
    const bytes = readFileSync(file);
    let offset = 0;
    while (offset < bytes.length) {
      const decoded = decodeRecord(bytes, offset);
      if (!decoded.ok) {
        replay.tornTails.push({ file, offset, bytes: bytes.length - offset, problem: decoded.problem });
        truncateSync(file, offset);
        break;
      }
      const at = { segment, offset, length: decoded.next - offset };
      apply(replay, decoded.record, at);
      offset = decoded.next;
    }
    replay.sizes.set(segment, offset);
  }
  return replay;
}

function apply(replay: LogReplay, record: LogRecord, at: RecordLocation): void {
  switch (record.type) {
    case RecordType.Event:
      replay.events.record(record.event.id, record.event.seq, Buffer.byteLength(record.event.json), at);
      break;
    case RecordType.Batch: {
      for (const event of record.batch.events) replay.events.remove(event.id);
      replay.batches.set(record.batch.id, { batch: record.batch, at });
      const id = Number.parseInt(record.batch.id, 36);
      if (Number.isSafeInteger(id) && id > replay.lastBatchId) replay.lastBatchId = id;
      break;
    }
    case RecordType.BatchDone:
      replay.batches.delete(record.batchId);
      break;
    case RecordType.EventsDone:
      for (const id of record.eventIds) replay.events.remove(id);
      break;
  }
}
