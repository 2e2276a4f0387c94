import { describe, expect, it } from '@jest/globals';
import { closeSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SpotzeeConfigurationError } from '../../../lib/delivery/index.js';
import { FileEventStore } from '../../../lib/stores/file/index.js';
import { FillingDisk } from '../support/filling-disk.js';
import { fileStoreFixtures } from '../support/file-store-fixtures.js';
import { event, expectInvariant } from '../../delivery/support/engine-harness.js';

const { emulator, directory, engineOn } = fileStoreFixtures();

describe('FileEventStore in the engine', () => {
  it('delivers as the memory store does, and leaves nothing on disk once everything is delivered', async () => {
    const spotzee = await emulator();
    const dir = directory();
    const { engine } = engineOn(spotzee.baseUrl, new FileEventStore({ directory: dir }));
    engine.start();
    for (let i = 0; i < 250; i++) engine.capture(event());
    expect(engine.stats().store).toMatchObject({ name: 'file', up: true, depth: 250 });
    await engine.flush();
    expect(spotzee.events).toHaveLength(250);
    expect(engine.stats()).toMatchObject({ delivered: 250, pending: 0, store: { name: 'file', depth: 0 } });
    await engine.close();
    const { engine: again } = engineOn(spotzee.baseUrl, new FileEventStore({ directory: dir }));
    expect(again.stats()).toMatchObject({ captured: 0, pending: 0 });
  });

  it('keeps what close() could not send and delivers it after a restart, exactly once', async () => {
    const spotzee = await emulator();
    const dir = directory();
    const first = engineOn(spotzee.baseUrl, new FileEventStore({ directory: dir }));
    for (let i = 0; i < 7; i++) first.engine.capture(event());
    // Spotzee unreachable at shutdown: nothing can be sent before the deadline.
    await spotzee.down();
    const report = await first.engine.close({ deadlineMs: 0 });
    expect(report).toMatchObject({ dropped: 0, kept: 7, timedOut: true });
    expect(first.logger.messages('warn').join('\n')).toMatch(/kept 7 undelivered events in its durable store/);
    await spotzee.up();

    const second = engineOn(spotzee.baseUrl, new FileEventStore({ directory: dir }));
    expect(second.engine.stats()).toMatchObject({ captured: 7, pending: 7 });
    await second.engine.flush();
    expect(spotzee.events).toHaveLength(7);
    expect(second.engine.stats()).toMatchObject({ delivered: 7, pending: 0 });
    expectInvariant(second.engine);
  });

  it('holds a backlog beyond its memory window on disk only, and delivers every event of it once, in batches of consecutive events', async () => {
    const spotzee = await emulator();
    const dir = directory();
    const store = new FileEventStore({ directory: dir }, { memoryEvents: 50 });
    const { engine } = engineOn(spotzee.baseUrl, store);
    const seqs: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const input = event();
      seqs.push((input.data as { seq: number }).seq);
      engine.capture(input);
    }
    // Captured before the engine sends anything: 50 in memory, 950 only in the log, all counted.
    expect(store.size).toBe(1000);
    expect(engine.stats().store).toMatchObject({ name: 'file', depth: 1000 });
    engine.start();
    await engine.flush();
    const arrived = spotzee.events.map((received) => (received.event.data as { seq: number }).seq);
    expect([...arrived].sort((a, b) => a - b)).toEqual(seqs);
    for (const batch of spotzee.batches) {
      const inBatch = spotzee.events.filter((received) => received.batchIndex === spotzee.batches.indexOf(batch));
      const batchSeqs = inBatch.map((received) => (received.event.data as { seq: number }).seq);
      expect(batchSeqs).toEqual(
        seqs.slice(seqs.indexOf(batchSeqs[0]!), seqs.indexOf(batchSeqs[0]!) + batchSeqs.length),
      );
    }
    expect(engine.stats()).toMatchObject({ delivered: 1000, pending: 0, store: { depth: 0 } });
    expectInvariant(engine);
  });

  it('reports a log changed behind its back when events held on disk cannot be read back, and never throws into the engine', async () => {
    const spotzee = await emulator();
    const dir = directory();
    const store = new FileEventStore({ directory: dir }, { memoryEvents: 5 });
    const { engine, logger } = engineOn(spotzee.baseUrl, store);
    for (let i = 0; i < 20; i++) engine.capture(event());
    // Overwrite the last record's bytes in place: its checksum no longer matches.
    const segment = join(
      dir,
      readdirSync(dir).find((name) => name.endsWith('.log'))!,
    );
    const fd = openSync(segment, 'r+');
    writeSync(fd, Buffer.alloc(40, 0x7a), 0, 40, statSync(segment).size - 50);
    closeSync(fd);
    engine.start();
    expect(await engine.flush({ timeoutMs: 1000 })).toBe(false);
    // Everything before the read that meets the damaged record is delivered; that read's events stay
    // pending, counted, and the problem is said once.
    const { delivered, pending } = engine.stats();
    expect(delivered).toBeGreaterThanOrEqual(5);
    expect(pending).toBeGreaterThanOrEqual(1);
    expect(delivered + pending).toBe(20);
    expect(spotzee.events).toHaveLength(delivered);
    expect(logger.messages('error').filter((line) => /cannot be read back \(bad_checksum\)/.test(line))).toHaveLength(
      1,
    );
    expectInvariant(engine);
  });

  it('drops the oldest events from disk too when the queue overflows past its memory window (drop-oldest)', async () => {
    const spotzee = await emulator();
    const dir = directory();
    const store = new FileEventStore({ directory: dir }, { memoryEvents: 10 });
    const { engine } = engineOn(spotzee.baseUrl, store, { maxQueueEvents: 100, overflow: 'drop-oldest' });
    const seqs: number[] = [];
    for (let i = 0; i < 150; i++) {
      const input = event();
      seqs.push((input.data as { seq: number }).seq);
      engine.capture(input);
    }
    expect(engine.stats()).toMatchObject({ captured: 150, dropped: 50, pending: 100 });
    engine.start();
    await engine.flush();
    const arrived = spotzee.events.map((received) => (received.event.data as { seq: number }).seq);
    expect([...arrived].sort((a, b) => a - b)).toEqual(seqs.slice(50));
    await engine.close();
    // Nothing left behind: the dropped events were marked done in the log, the rest delivered.
    const { engine: again } = engineOn(spotzee.baseUrl, new FileEventStore({ directory: dir }));
    expect(again.stats()).toMatchObject({ captured: 0, pending: 0 });
  });

  it('resends a batch that was in flight at shutdown with the same bytes and key, so Spotzee replays it', async () => {
    const spotzee = await emulator();
    const dir = directory();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    spotzee.inject({ kind: 'slow', delayMs: 0, until: gate });
    const first = engineOn(spotzee.baseUrl, new FileEventStore({ directory: dir }));
    for (let i = 0; i < 5; i++) first.engine.capture(event());
    void first.engine.flush();
    await spotzee.waitUntil((s) => s.stats().inFlight === 1, { description: 'the batch in flight' });
    const report = await first.engine.close({ deadlineMs: 0 });
    expect(report.kept).toBe(5);
    // The server had the request and accepts it after the client gave up: the batch is delivered once already.
    release();
    await spotzee.waitForEvents(5);

    const second = engineOn(spotzee.baseUrl, new FileEventStore({ directory: dir }));
    expect(second.engine.stats()).toMatchObject({ captured: 5, pending: 5 });
    await second.engine.flush();
    expect(spotzee.events).toHaveLength(5);
    const requests = [...spotzee.requests].sort((a, b) => a.seq - b.seq);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.idempotencyKey).toBe(requests[0]!.idempotencyKey);
    expect(requests[1]!.body).toBe(requests[0]!.body);
    expect(requests[1]!.replayed).toBe(true);
    expect(second.engine.stats()).toMatchObject({ delivered: 5, pending: 0 });
  });

  it('drops and reports events the disk refuses, never throwing into the caller', async () => {
    const spotzee = await emulator();
    const disk = new FillingDisk();
    const { engine, logger } = engineOn(
      spotzee.baseUrl,
      new FileEventStore({ directory: directory() }, { openFile: disk.open }),
    );
    const dropped: string[] = [];
    engine.on('dropped', (outcome) => dropped.push(`${outcome.reason}: ${outcome.message}`));
    engine.capture(event());
    disk.fill();
    expect(() => engine.capture(event())).not.toThrow();
    expect(dropped).toEqual([expect.stringMatching(/^store_failed: .*file store could not write it \(ENOSPC/)]);
    expect(engine.health()).toMatchObject({
      healthy: false,
      store: { name: 'file', up: false, problem: expect.stringMatching(/ENOSPC/) },
    });
    expect(logger.messages('error').join('\n')).toMatch(/FileEventStore: writing to .* failed \(ENOSPC/);
    disk.free();
    engine.capture(event());
    expect(engine.health().store.up).toBe(true);
    await engine.flush();
    expect(spotzee.events).toHaveLength(2);
    expect(engine.stats()).toMatchObject({ captured: 3, delivered: 2, dropped: 1 });
  });

  it('fails at start-up with a clear error for an unwritable directory or one another process holds', () => {
    const parent = directory();
    writeFileSync(join(parent, 'file'), '');
    expect(() =>
      engineOn('http://127.0.0.1:1', new FileEventStore({ directory: join(parent, 'file', 'store') })),
    ).toThrow(SpotzeeConfigurationError);
    const dir = directory();
    writeFileSync(join(dir, 'lock'), `${process.ppid}\n`);
    expect(() => engineOn('http://127.0.0.1:1', new FileEventStore({ directory: dir }))).toThrow(
      /in use by another process \(pid \d+\)/,
    );
    expect(() => new FileEventStore({ directory: '' })).toThrow(/`directory` must be a non-empty path/);
  });
});
