import { afterEach, describe, expect, it } from '@jest/globals';
import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../../../lib/stores/file/event-log.js';
import type { EventLogOptions } from '../../../lib/stores/file/event-log.js';
import type { StoredEvent } from '../../../lib/stores/stored-records.js';
import { FillingDisk } from '../support/filling-disk.js';
import { storedBatch, storedEvent } from '../support/stored-event.js';

const open: EventLog[] = [];
const dirs: string[] = [];

function directory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spz-log-'));
  dirs.push(dir);
  return dir;
}

function openLog(dir: string, options: Partial<EventLogOptions> = {}) {
  const opened = EventLog.open({ directory: dir, segmentBytes: 1024 * 1024, syncIntervalMs: 50, ...options });
  open.push(opened.log);
  return opened;
}

/** The queued events a reopened log recovered, read back from disk as the store reads them. */
function recoveredEvents({ log, recovered }: ReturnType<typeof openLog>): StoredEvent[] {
  expect(log.queuedCount).toBe(recovered.queued.count);
  return log.readQueued(0, recovered.queued.count);
}

afterEach(() => {
  for (const log of open.splice(0)) log.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('EventLog', () => {
  it('recovers queued events and unfinished batches, and nothing that was done', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(() => storedEvent());
    for (const event of [a!, b!, c!, d!, e!]) expect(log.appendEvent(event)).toBe(true);
    const inFlight = storedBatch(log.nextBatchId(), [a!, b!]);
    const delivered = storedBatch(log.nextBatchId(), [c!]);
    log.appendBatch(inFlight);
    log.appendBatch(delivered);
    log.batchDone(delivered.id);
    log.eventsDone([d!]);
    log.close();
    open.pop();

    const reopened = openLog(dir);
    expect(recoveredEvents(reopened).map((event) => event.id)).toEqual([e!.id]);
    expect(reopened.recovered.batches).toHaveLength(1);
    const batch = reopened.recovered.batches[0]!;
    expect(batch.key).toBe(inFlight.key);
    expect(batch.body.equals(inFlight.body)).toBe(true);
    expect(batch.events.map((event) => event.id)).toEqual([a!.id, b!.id]);
    expect(reopened.tornTails).toEqual([]);
    // Batch ids never repeat after a restart.
    expect(Number.parseInt(reopened.log.nextBatchId(), 36)).toBeGreaterThan(Number.parseInt(delivered.id, 36));
  });

  it('records a batch body once, byte for byte, and gives back every event of it whole (multi-byte text too)', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const plain = storedEvent();
    const accented = storedEvent({
      json: JSON.stringify({ name: 'order_placed', data: { city: 'Zürich', note: '東京 → "quoted"\n' } }),
    });
    const events = [plain, accented, storedEvent()];
    for (const event of events) log.appendEvent(event);
    const batch = storedBatch(log.nextBatchId(), events);
    // Not the engine's layout (a space after a comma): kept as it is, through the other record form.
    const spaced = storedEvent();
    log.appendEvent(spaced);
    const odd = { id: log.nextBatchId(), key: 'spz_odd', body: Buffer.from(`[ ${spaced.json}]`), events: [spaced] };
    const before = log.diskBytes;
    log.appendBatch(batch);
    // The body is written once: the record is far smaller than the body and a second copy of every event.
    expect(log.diskBytes - before).toBeLessThan(batch.body.length + 400);
    log.appendBatch(odd);
    log.close();
    open.pop();

    const reopened = openLog(dir);
    const [first, second] = reopened.recovered.batches;
    expect(first!.body.equals(batch.body)).toBe(true);
    expect(first!.events).toEqual(events);
    expect(second!.body.equals(odd.body)).toBe(true);
    expect(second!.events).toEqual([spaced]);
    expect(reopened.tornTails).toEqual([]);
  });

  it('reads queued events back by position, across other records between them, small and large', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(() => storedEvent());
    log.appendEvent(a!);
    log.appendEvent(b!);
    log.appendBatch(storedBatch(log.nextBatchId(), [a!]));
    log.appendEvent(c!);
    // A batch record far larger than a read's gap allowance between two queued events.
    const big = storedEvent({ json: JSON.stringify({ name: 'order_placed', data: { blob: 'x'.repeat(100_000) } }) });
    log.appendEvent(big);
    log.appendBatch(storedBatch(log.nextBatchId(), [b!, c!, big]));
    log.appendEvent(d!);
    // A small record between two queued events: read through in the same run.
    log.appendBatch(storedBatch(log.nextBatchId(), [storedEvent()]));
    log.appendEvent(e!);
    expect(log.queuedCount).toBe(2);
    expect(log.readQueued(0, 2)).toEqual([d, e]);
    expect(log.readQueued(1, 5)).toEqual([e]);
    const f = storedEvent();
    const g = storedEvent();
    const { log: other } = openLog(directory());
    other.appendEvent(f);
    other.appendBatch(
      storedBatch(other.nextBatchId(), [storedEvent({ json: JSON.stringify({ blob: 'y'.repeat(100_000) }) })]),
    );
    other.appendEvent(g);
    expect(other.readQueued(0, 2)).toEqual([f, g]);
  });

  it('cuts a torn tail, reports it, and keeps every whole record before it', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const kept = storedEvent();
    log.appendEvent(kept);
    log.close();
    open.pop();
    const segment = readdirSync(dir).find((name) => name.startsWith('segment-'))!;
    const before = statSync(join(dir, segment)).size;
    // Half a record: a length that promises more bytes than were written.
    appendFileSync(join(dir, segment), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 1, 0x5b]));

    const reopened = openLog(dir);
    expect(recoveredEvents(reopened).map((event) => event.id)).toEqual([kept.id]);
    expect(reopened.tornTails).toEqual([
      { file: join(dir, segment), offset: before, bytes: 10, problem: 'truncated_record' },
    ]);
    expect(statSync(join(dir, segment)).size).toBe(before);
  });

  it('rejects a record whose checksum does not match', () => {
    const dir = directory();
    const { log } = openLog(dir);
    const first = storedEvent();
    log.appendEvent(first);
    log.appendEvent(storedEvent());
    log.close();
    open.pop();
    const segment = join(
      dir,
      readdirSync(dir).find((name) => name.startsWith('segment-'))!,
    );
    const size = statSync(segment).size;
    // Flip the last byte of the second record's payload.
    const bytes = readFileSync(segment);
    bytes[size - 2] ^= 0xff;
    writeFileSync(segment, bytes);
    const reopened = openLog(dir);
    expect(recoveredEvents(reopened).map((event) => event.id)).toEqual([first.id]);
    expect(reopened.tornTails[0]!.problem).toBe('bad_checksum');
  });

  it('allows one process per directory, with a message that names the holder', () => {
    const dir = directory();
    openLog(dir);
    expect(() => openLog(dir)).toThrow(/already open in this process/);
  });

  it('takes over a lock left by a process that is no longer running', () => {
    const dir = directory();
    // A pid far above pid_max is never running.
    writeFileSync(join(dir, 'lock'), '4194999\n');
    expect(openLog(dir).tookOverFrom).toBe(4194999);
  });

  it('refuses a lock held by a running process', () => {
    const dir = directory();
    writeFileSync(join(dir, 'lock'), `${process.ppid}\n`);
    expect(() => openLog(dir)).toThrow(new RegExp(`in use by another process \\(pid ${process.ppid}\\)`));
  });

  it('says clearly when the directory cannot be written', () => {
    const parent = directory();
    chmodSync(parent, 0o500);
    const target = join(parent, 'store');
    try {
      // root ignores permission bits, so also try a path under a regular file.
      writeFileSync(join(directory(), 'file'), '');
      const underFile = join(dirs.at(-1)!, 'file', 'store');
      expect(() => openLog(underFile)).toThrow(/FileEventStore cannot write to .*store.*ENOTDIR/);
      if (process.getuid?.() !== 0) expect(() => openLog(target)).toThrow(/cannot write to/);
    } finally {
      chmodSync(parent, 0o700);
    }
  });

  it('reports a full disk as a refused write, cuts the partial record, and resumes when there is room', () => {
    const dir = directory();
    const disk = new FillingDisk();
    const problems: string[] = [];
    const { log } = openLog(dir, { openFile: disk.open });
    log.onProblem((message) => problems.push(message));
    const first = storedEvent();
    expect(log.appendEvent(first)).toBe(true);
    disk.limit = log.diskBytes + 20;
    const refused = storedEvent();
    expect(log.appendEvent(refused)).toBe(false);
    expect(log.writeError).toMatch(/ENOSPC/);
    expect(problems).toEqual([expect.stringMatching(/writing to .* failed \(ENOSPC.*dropped and reported/)]);
    disk.free();
    const later = storedEvent();
    expect(log.appendEvent(later)).toBe(true);
    expect(log.writeError).toBeNull();
    log.close();
    open.pop();
    const reopened = openLog(dir);
    expect(reopened.tornTails).toEqual([]);
    expect(recoveredEvents(reopened).map((event) => event.id)).toEqual([first.id, later.id]);
  });

  it('recovers queued events in the order they were captured after compaction carried the oldest forward', () => {
    const dir = directory();
    const { log } = openLog(dir, { segmentBytes: 4096 });
    const first: StoredEvent[] = [];
    while (log.segmentCount < 2) {
      const event = storedEvent();
      first.push(event);
      log.appendEvent(event);
    }
    // All but the last two events of the first segment are delivered: it is mostly dead.
    const delivered = storedBatch(log.nextBatchId(), first.slice(0, -2));
    log.appendBatch(delivered);
    log.batchDone(delivered.id);
    const newer: StoredEvent[] = [];
    while (log.segmentCount < 3 && readdirSync(dir).includes('segment-0000000001.log')) {
      const event = storedEvent();
      newer.push(event);
      log.appendEvent(event);
    }
    // Rolling copied the two left in the first segment to the newest and deleted the first: on disk their
    // only records now follow the newer events.
    expect(readdirSync(dir)).not.toContain('segment-0000000001.log');
    log.close();
    open.pop();

    const reopened = openLog(dir, { segmentBytes: 4096 });
    expect(recoveredEvents(reopened).map((event) => event.id)).toEqual(
      [...first.slice(-2), ...newer].map((event) => event.id),
    );
  });

  it('deletes segments once nothing in them is live, and carries a long-lived batch forward', () => {
    const dir = directory();
    const { log } = openLog(dir, { segmentBytes: 4096 });
    const stuck = storedEvent();
    log.appendEvent(stuck);
    const stuckBatch = storedBatch(log.nextBatchId(), [stuck]);
    log.appendBatch(stuckBatch);
    for (let round = 0; round < 200; round++) {
      const event = storedEvent();
      log.appendEvent(event);
      const batch = storedBatch(log.nextBatchId(), [event]);
      log.appendBatch(batch);
      log.batchDone(batch.id);
    }
    // 200 rounds write far more than 4 KiB, yet only a few segments remain: the stuck batch was copied forward.
    expect(log.segmentCount).toBeLessThanOrEqual(3);
    expect(log.depth).toEqual({ events: 0, batches: 1, batchedEvents: 1 });
    log.close();
    open.pop();
    const reopened = openLog(dir, { segmentBytes: 4096 });
    expect(reopened.recovered.batches.map((batch) => batch.key)).toEqual([stuckBatch.key]);
    expect(recoveredEvents(reopened)).toEqual([]);
  });
});
