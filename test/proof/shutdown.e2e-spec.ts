import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { EMULATOR_API_KEY, SpotzeeEmulator } from '../../lib/emulator/index.js';
import type { CloseReport, DeliveryStats } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { postOnce } from '../support/one-shot-post.js';
import { ChildApp } from './support/child-app.js';
import { buildLibraryPrivately } from './support/private-library-build.js';
import { runConcurrently } from './support/concurrent-load.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/shutdown-app.mjs', import.meta.url));

interface Drained {
  stats: DeliveryStats;
  report: CloseReport;
  dropsByReason: Record<string, number>;
  rejections: number;
}

interface Answer {
  uid: string;
  status: number;
  /** Whether the answer arrived before the test sent SIGTERM: its events were captured before the signal. */
  beforeSignal: boolean;
}

/** Concurrent clients placing orders until told to stop; each order emits two events. */
class OrderLoad {
  readonly answers: Answer[] = [];
  readonly errors: string[] = [];
  readonly done: Promise<void>;
  private next = 0;
  private stopped = false;
  private signalled = false;

  constructor(
    private readonly url: string,
    clients: number,
  ) {
    this.done = Promise.all(Array.from({ length: clients }, () => this.client())).then(() => undefined);
  }

  get succeeded(): Answer[] {
    return this.answers.filter((answer) => answer.status === 201);
  }

  signalSent(): void {
    this.signalled = true;
  }

  /** Clients finish the order they are placing and start no new one, like a load balancer draining the instance. */
  stop(): void {
    this.stopped = true;
  }

  private async client(): Promise<void> {
    while (!this.stopped) {
      const uid = `o${this.next++}`;
      try {
        const answer = await postOnce(`${this.url}/orders/${uid}`, { 'x-anonymous-id': `visitor_${uid}` });
        this.answers.push({ uid, status: answer.status, beforeSignal: !this.signalled });
      } catch (error) {
        this.errors.push(`${uid}: ${(error as Error).message}`);
      }
    }
  }
}

function uidsOf(emulator: SpotzeeEmulator): string[] {
  return emulator.events.map(({ event }) => String((event.data as { uid?: unknown } | null | undefined)?.uid));
}

describe('graceful shutdown: a real process receives SIGTERM mid-load', () => {
  let libraryDir: string;
  let child: ChildApp | undefined;
  let emulator: SpotzeeEmulator | undefined;

  beforeAll(async () => {
    libraryDir = await buildLibraryPrivately(REPO_ROOT);
  }, 180_000);

  afterEach(async () => {
    child?.kill();
    await emulator?.stop();
    child = undefined;
    emulator = undefined;
  });

  function startChild(target: SpotzeeEmulator, options: Record<string, unknown>): ChildApp {
    return new ChildApp(FIXTURE, {
      SPOTZEE_LIBRARY_DIR: libraryDir,
      SPOTZEE_BASE_URL: target.baseUrl,
      SPOTZEE_API_KEY: EMULATOR_API_KEY,
      SPOTZEE_OPTIONS: JSON.stringify(options),
      // Plain log lines, so assertions and failure output read them as text.
      NO_COLOR: '1',
    });
  }

  it('delivers every event captured before the signal, and those of requests still running, within the deadline', async () => {
    // Slow enough that batches are still in flight when the signal arrives.
    emulator = await SpotzeeEmulator.start({ processingDelayMs: 25 });
    // Partial batches wait for the drain: at the signal, events are certainly queued, not yet sent.
    child = startChild(emulator, { flushIntervalMs: 60_000, shutdownDeadlineMs: 30_000 });
    const { url } = (await child.waitForReport('ready')) as unknown as { url: string };

    // One single-event request first: with two events per order the count stays odd, so whatever
    // the timing, some events are always waiting in the queue when the signal arrives.
    expect(await postOnce(`${url}/orders/seed/visit`, { 'x-anonymous-id': 'visitor_seed' })).toEqual({
      status: 201,
      body: '{"uid":"seed"}',
    });
    const load = new OrderLoad(url, 40);
    await eventually(() => load.succeeded.length >= 300, '300 orders placed', 30_000);
    child.signal('SIGTERM');
    load.signalSent();
    load.stop();
    await load.done;
    const exit = await child.exited;

    const atSignal = child.report('signal')!.stats as DeliveryStats;
    const drained = child.report('drained') as unknown as Drained;
    expect(drained).toBeDefined();
    // Nest re-raises the signal once its shutdown hooks are done.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });

    expect(atSignal.pending).toBeGreaterThan(0);
    expect(atSignal.captured).toBeGreaterThanOrEqual(1 + 2 * 300);
    // Everything captured by then, and by the requests that were still running, was delivered.
    expect(drained.stats.captured).toBeGreaterThanOrEqual(atSignal.captured);
    expect(drained.stats).toMatchObject({ delivered: drained.stats.captured, rejected: 0, dropped: 0, pending: 0 });
    expect(drained.report).toMatchObject({ dropped: 0, rejected: 0, timedOut: false });
    expect(drained.dropsByReason).toEqual({});
    expect(child.log).toContain(
      `Spotzee drained in ${drained.report.durationMs} ms: ${drained.report.delivered} delivered, 0 rejected, 0 dropped. ` +
        `Since start-up: ${drained.stats.captured} captured, ${drained.stats.delivered} delivered, 0 rejected, 0 dropped.`,
    );

    // On Spotzee's side: each of them exactly once, including every order whose response came back.
    const received = uidsOf(emulator);
    expect(new Set(received).size).toBe(received.length);
    expect(received).toHaveLength(drained.stats.delivered);
    const receivedSet = new Set(received);
    expect(load.succeeded.length).toBe(load.answers.length);
    const missing = ['seed/viewed', ...load.succeeded.flatMap(({ uid }) => [`${uid}/placed`, `${uid}/stock`])].filter(
      (uid) => !receivedSet.has(uid),
    );
    expect(missing).toEqual([]);
    // Requests that were running when the signal arrived were answered, and their events made it too.
    expect(load.succeeded.filter((answer) => !answer.beforeSignal).length).toBeGreaterThan(0);
    // Orders that had not reached the app when its server closed were refused or reset at the socket, never half-served.
    expect(load.errors.filter((error) => !/ECONNREFUSED|ECONNRESET|socket hang up/.test(error))).toEqual([]);
  }, 120_000);

  it('reports what could not be sent before the deadline as dropped (shutdown_deadline), matching captured - delivered', async () => {
    emulator = await SpotzeeEmulator.start();
    child = startChild(emulator, {
      flushIntervalMs: 50,
      shutdownDeadlineMs: 1_500,
      // The retry budget must outlast the outage, so that the deadline is what ends it.
      maxAttempts: 100,
      retryBaseMs: 100,
      retryMaxMs: 1_000,
    });
    const { url } = (await child.waitForReport('ready')) as unknown as { url: string };

    const beforeOutage = await runConcurrently(100, 20, (n) =>
      postOnce(`${url}/orders/a${n}`, { 'x-anonymous-id': `visitor_a${n}` }),
    );
    expect(beforeOutage.every((answer) => answer.status === 201)).toBe(true);
    const flushed = JSON.parse((await postOnce(`${url}/flush`)).body) as DeliveryStats;
    expect(flushed).toMatchObject({ captured: 200, delivered: 200, pending: 0 });

    // Spotzee goes away and stays away past the deadline; the app keeps serving its users.
    await emulator.down();
    const duringOutage = await runConcurrently(100, 20, (n) =>
      postOnce(`${url}/orders/b${n}`, { 'x-anonymous-id': `visitor_b${n}` }),
    );
    expect(duringOutage.every((answer) => answer.status === 201)).toBe(true);
    child.signal('SIGTERM');
    const exit = await child.exited;
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });

    const drained = child.report('drained') as unknown as Drained;
    expect(drained).toBeDefined();
    const { stats } = drained;
    expect(stats.captured).toBe(400);
    expect(stats.delivered).toBe(200);
    expect(stats.pending).toBe(0);
    expect(stats.rejected).toBe(0);
    expect(stats.dropped).toBe(stats.captured - stats.delivered);
    expect(drained.dropsByReason).toEqual({ shutdown_deadline: stats.captured - stats.delivered });
    expect(drained.report).toMatchObject({ delivered: 0, rejected: 0, dropped: 200, timedOut: true });
    expect(child.log).toContain(
      `Spotzee drained in ${drained.report.durationMs} ms: 0 delivered, 0 rejected, 200 dropped; events still pending at the deadline were dropped. ` +
        `Since start-up: ${stats.captured} captured, ${stats.delivered} delivered, 0 rejected, ${stats.dropped} dropped.`,
    );

    // Nothing of the second wave reached Spotzee, and nothing of the first went twice.
    const received = uidsOf(emulator);
    expect(received).toHaveLength(200);
    expect(new Set(received).size).toBe(200);
    expect(received.every((uid) => uid.startsWith('a'))).toBe(true);
  }, 120_000);
});
