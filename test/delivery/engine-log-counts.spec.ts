/**
 * "Counts agree between lines": an operator who adds up the numbers in the log lines of a run gets
 * `stats()`. A run with deliveries, rejections at capture (repeats of a problem folded into "N more
 * like it"), server-side rejections, queue-full drops, drops after retries ran out and repeated
 * idempotency keys is read back from its log lines alone, and every figure is checked against the others
 * and against the counters.
 */
import { describe, expect, it } from '@jest/globals';
import type { DeliveryStats } from '../../lib/delivery/index.js';
import type { LogLine } from '../support/recording-logger.js';
import { startHarness, stopHarnessesAfterEach } from './support/engine-harness.js';

stopHarnessesAfterEach();

/** What the lines of a run say, added up. */
interface LogFigures {
  rejected: number;
  dropped: number;
  droppedByReason: Record<string, number>;
  deduplicated: number;
  drain: { delivered: number; rejected: number; dropped: number };
  lifetime: Record<'captured' | 'delivered' | 'rejected' | 'dropped' | 'deduplicated' | 'pending', number>;
}

const int = (text: string | undefined): number => (text === undefined ? 0 : Number(text));

/** Reads the figures out of the lines as a person would, failing on a line with counts it does not know. */
function readFigures(lines: readonly LogLine[]): LogFigures {
  const figures: LogFigures = {
    rejected: 0,
    dropped: 0,
    droppedByReason: {},
    deduplicated: 0,
    drain: { delivered: 0, rejected: 0, dropped: 0 },
    lifetime: { captured: 0, delivered: 0, rejected: 0, dropped: 0, deduplicated: 0, pending: 0 },
  };
  let drainedLines = 0;
  for (const { message } of lines) {
    const repeats = /\((\d+) more like it since the last report\)$/.exec(message);
    let match: RegExpExecArray | null;
    if (/^Spotzee event .* rejected: /.test(message)) {
      // The first line of a problem stands for one event; a repeat line for the events folded into it.
      figures.rejected += repeats ? int(repeats[1]) : 1;
    } else if ((match = /^Spotzee rejected (\d+) of \d+ events? in batch /.exec(message))) {
      figures.rejected += int(match[1]);
    } else if ((match = /^Spotzee dropped (\d+) events?: (.*)\. Events included /.exec(message))) {
      figures.dropped += int(match[1]);
      let parts = 0;
      for (const [, count, reason] of match[2]!.replace(/\([^)]*\)/g, '').matchAll(/(\d+) ([a-z_]+)/g)) {
        figures.droppedByReason[reason!] = (figures.droppedByReason[reason!] ?? 0) + int(count);
        parts += int(count);
      }
      // The parts of one drop line add up to its total.
      expect(parts).toBe(int(match[1]));
    } else if ((match = /^Spotzee deduplicated (\d+) events? /.exec(message))) {
      figures.deduplicated += int(match[1]);
    } else if ((match = /^Spotzee drained in \d+ ms: (\d+) delivered, (\d+) rejected, (\d+) dropped/.exec(message))) {
      drainedLines += 1;
      figures.drain = { delivered: int(match[1]), rejected: int(match[2]), dropped: int(match[3]) };
      const lifetime =
        /Since start-up: (\d+) captured, (\d+) delivered, (\d+) rejected, (\d+) dropped(?:, (\d+) deduplicated)?(?:, (\d+) pending)?\.$/.exec(
          message,
        );
      expect(lifetime).not.toBeNull();
      figures.lifetime = {
        captured: int(lifetime![1]),
        delivered: int(lifetime![2]),
        rejected: int(lifetime![3]),
        dropped: int(lifetime![4]),
        deduplicated: int(lifetime![5]),
        pending: int(lifetime![6]),
      };
    }
  }
  expect(drainedLines).toBe(1);
  return figures;
}

function expectLinesAgreeWithStats(lines: readonly LogLine[], stats: DeliveryStats, before: DeliveryStats): void {
  const figures = readFigures(lines);
  // Each kind of line adds up to its counter.
  expect({ rejected: figures.rejected, dropped: figures.dropped, deduplicated: figures.deduplicated }).toEqual({
    rejected: stats.rejected,
    dropped: stats.dropped,
    deduplicated: stats.deduplicated,
  });
  // The shutdown line's lifetime totals are the counters, and they account for every captured event.
  expect(figures.lifetime).toEqual({
    captured: stats.captured,
    delivered: stats.delivered,
    rejected: stats.rejected,
    dropped: stats.dropped,
    deduplicated: stats.deduplicated,
    pending: stats.pending,
  });
  const { captured, ...settled } = figures.lifetime;
  expect(Object.values(settled).reduce((sum, value) => sum + value, 0)).toBe(captured);
  // Its drain window is what happened between close() and the end of the drain.
  expect(figures.drain).toEqual({
    delivered: stats.delivered - before.delivered,
    rejected: stats.rejected - before.rejected,
    dropped: stats.dropped - before.dropped,
  });
}

describe('log lines add up', () => {
  it('deliveries, folded capture rejections, server rejections, drops and repeated keys: the lines agree with each other and with stats()', async () => {
    // Nothing leaves before the test says so, the queue holds six events, and a failing batch gives up fast.
    const harness = await startHarness({
      flushIntervalMs: 60_000,
      maxQueueEvents: 6,
      overflow: 'drop-newest',
      retryForMs: 50,
    });
    const { engine, emulator, logger } = harness;

    // Three kinds of capture problem, two of them repeated: one line each, then "N more like it" at shutdown.
    for (let i = 0; i < 4; i++) engine.capture({ name: 'order_placed', data: { i } });
    for (let i = 0; i < 3; i++) engine.capture({ name: '', externalId: 'u' });
    engine.capture({ name: 'order_placed', externalId: 'u', createdAt: 'yesterday' });
    // One domain event captured four times under its key: three repeats.
    for (let i = 0; i < 4; i++) harness.capture({ idempotencyKey: 'order_placed:ord_1', data: { copy: i } });
    // Six more valid events: the queue (six) takes five of them, the last one is dropped.
    for (let i = 0; i < 6; i++) harness.capture({ data: { i } });
    // Spotzee refuses one event of the batch (422 naming it); the other five are resent and delivered.
    emulator.inject({
      kind: 'raw',
      status: 422,
      headers: { 'content-type': 'application/problem+json' },
      body: {
        code: 'validation_failed',
        message: '1 of 6 events is invalid.',
        errors: [{ param: '2.data', code: 'invalid', message: 'not accepted' }],
      },
    });
    await engine.flush();
    // The next batch fails until its retry budget runs out: both its events are dropped.
    emulator.inject({ kind: 'status', status: 503 }, { times: Infinity });
    harness.capture({ data: { late: 1 } });
    harness.capture({ data: { late: 2 } });
    await engine.flush();
    emulator.clearFaults();

    // One event left for the shutdown drain to deliver.
    harness.capture({ data: { at: 'close' } });
    const before = engine.stats();
    await engine.close({ deadlineMs: 5000 });
    const stats = engine.stats();

    expect(stats).toMatchObject({ captured: 21, delivered: 6, rejected: 9, dropped: 3, deduplicated: 3, pending: 0 });
    expectLinesAgreeWithStats(logger.lines, stats, before);
  });

  it('more kinds of problem than the log remembers (1000): the folded repeats of a forgotten kind are still reported', async () => {
    const harness = await startHarness();
    const { engine, logger } = harness;
    // Each name is its own kind of problem, met twice: one line, and one repeat folded.
    for (let kind = 0; kind <= 1000; kind++) {
      for (let time = 0; time < 2; time++) engine.capture({ name: `event_${kind}`, data: { time } });
    }
    harness.capture({ data: { delivered: true } });
    const before = engine.stats();
    await engine.close({ deadlineMs: 5000 });
    const stats = engine.stats();
    expect(stats).toMatchObject({ captured: 2003, rejected: 2002, delivered: 1 });
    expectLinesAgreeWithStats(logger.lines, stats, before);
  });
});
