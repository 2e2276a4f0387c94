import { afterEach, describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { EventLog } from '../../../lib/stores/file/event-log.js';
import { EVENT_FRAME } from '../../../lib/stores/file/event-frame.js';
import { encodeRecord, RecordType } from '../../../lib/stores/file/log-record.js';
import { storedEvent } from '../support/stored-event.js';

const open: EventLog[] = [];
const dirs: string[] = [];

function openLog(dir: string) {
  const opened = EventLog.open({ directory: dir, segmentBytes: 16 * 1024 * 1024, syncIntervalMs: 50 });
  open.push(opened.log);
  return opened;
}

function reopen(dir: string) {
  open.pop()!.close();
  return openLog(dir);
}

/** The queued events a reopened log recovered, read back from disk as the store reads them. */
function recoveredEvents({ log, recovered }: ReturnType<typeof openLog>) {
  expect(log.queuedCount).toBe(recovered.queued.count);
  return log.readQueued(0, recovered.queued.count);
}

function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spz-frame-'));
  dirs.push(dir);
  return dir;
}

/** The frame type byte of every record in the directory's only segment, in order. */
function frameTypes(dir: string): number[] {
  const bytes = readFileSync(
    join(
      dir,
      readdirSync(dir).find((name) => name.startsWith('segment-'))!,
    ),
  );
  const types: number[] = [];
  for (let offset = 0; offset < bytes.length; offset += 9 + bytes.readUInt32LE(offset)) types.push(bytes[offset + 8]!);
  return types;
}

afterEach(() => {
  for (const log of open.splice(0)) log.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the captured-event record', () => {
  it('gives back every field exactly: nulls, a source, multi-byte text, large and small events', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const events = [
      storedEvent(),
      storedEvent({
        externalId: null,
        anonymousId: 'anon_Zürich',
        idempotencyKey: 'order_placed:ord_東京',
        source: 'POST /orders',
        json: JSON.stringify({ name: 'order_placed', data: { note: '東京 → "quoted"\n', empty: '' } }),
        enqueuedAt: 1_764_615_600_123,
      }),
      storedEvent({ externalId: '', anonymousId: '', source: '' }),
      // Past the reused encode buffer, then far past what it keeps: each still one whole record.
      storedEvent({ json: JSON.stringify({ name: 'order_placed', data: { blob: 'é'.repeat(40_000) } }) }),
      storedEvent({ json: JSON.stringify({ name: 'order_placed', data: { blob: 'x'.repeat(2_000_000) } }) }),
      storedEvent(),
      // Recovery orders by capture sequence number: the largest comes last.
      storedEvent({ seq: 2 ** 40 + 1 }),
    ];
    for (const event of events) expect(log.appendEvent(event)).toBe(true);
    expect(log.readQueued(0, events.length)).toEqual(events);
    expect(frameTypes(dir)).toEqual(events.map(() => EVENT_FRAME));

    const reopened = reopen(dir);
    expect(recoveredEvents(reopened)).toEqual(events);
    expect(reopened.tornTails).toEqual([]);
  });

  it('writes a field holding a surrogate as JSON, so even a lone one comes back unchanged', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const emoji = storedEvent({ externalId: 'usr_🦊' });
    const lone = storedEvent({ anonymousId: 'cut\uD83E', source: '\uDD8A' });
    const plain = storedEvent();
    for (const event of [emoji, lone, plain]) expect(log.appendEvent(event)).toBe(true);
    expect(frameTypes(dir)).toEqual([RecordType.Event, RecordType.Event, EVENT_FRAME]);

    const reopened = reopen(dir);
    expect(recoveredEvents(reopened)).toEqual([emoji, lone, plain]);
  });

  it('still reads event records written as JSON by an earlier version', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const current = storedEvent();
    log.appendEvent(current);
    const earlier = storedEvent({ source: 'BillingService' });
    const segment = join(
      dir,
      readdirSync(dir).find((name) => name.startsWith('segment-'))!,
    );
    appendFileSync(segment, encodeRecord({ type: RecordType.Event, event: earlier }));

    const reopened = reopen(dir);
    expect(recoveredEvents(reopened)).toEqual([current, earlier]);
    expect(reopened.tornTails).toEqual([]);
  });

  it('cuts a record whose field lengths run past its payload, even with a valid checksum', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const kept = storedEvent();
    log.appendEvent(kept);
    const segment = join(
      dir,
      readdirSync(dir).find((name) => name.startsWith('segment-'))!,
    );
    const frame = Buffer.from(readFileSync(segment));
    // The id's length (the first of the length table, after seq and enqueuedAt) claims the whole payload.
    frame.writeUInt32LE(frame.length, 9 + 16);
    frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
    appendFileSync(segment, frame);

    const reopened = reopen(dir);
    expect(recoveredEvents(reopened)).toEqual([kept]);
    expect(reopened.tornTails).toEqual([expect.objectContaining({ offset: frame.length, problem: 'bad_payload' })]);
  });
});
