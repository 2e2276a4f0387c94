import { beforeAll } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import type { SpotzeeEmulator } from '../../../../lib/emulator/index.js';
import { EMULATOR_API_KEY } from '../../../../lib/emulator/index.js';
import type { DeliveryHealth, DeliveryStats } from '../../../../lib/index.js';
import { ChildApp } from '../../../proof/support/child-app.js';
import { buildLibraryPrivately } from '../../../proof/support/private-library-build.js';
import { postOnce } from '../../../support/one-shot-post.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/store-app.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The library built as an app installs it, once per spec file before its first test: the apps' directory. */
export function libraryBuiltOnce(): () => string {
  let directory = '';
  beforeAll(async () => {
    directory = await buildLibraryPrivately(REPO_ROOT);
  }, 120_000);
  return () => directory;
}

export interface StoreAppEnv {
  /** A label for this process; every event's `external_id` starts with it. */
  RUN: string;
  STORE: 'file' | 'redis';
  STORE_DIRECTORY?: string;
  STORE_SEGMENT_BYTES?: string;
  REDIS_URL?: string;
  REDIS_PREFIX?: string;
  LEASE_MS?: string;
}

export interface StoreAppReport {
  stats: DeliveryStats;
  health: DeliveryHealth;
}

/** `test/stores/processes/fixtures/store-app.mjs` running as a real process, and what it reported. */
export class StoreAppProcess {
  private readonly capturedUids: string[] = [];
  private scanned = 0;

  private constructor(
    readonly child: ChildApp,
    readonly url: string,
  ) {}

  /** Starts the app and waits until it listens (the store has been opened by then). */
  static async start(
    libraryDir: string,
    emulator: SpotzeeEmulator,
    env: StoreAppEnv,
    options: Record<string, unknown> = {},
  ): Promise<StoreAppProcess> {
    const child = new ChildApp(FIXTURE, {
      SPOTZEE_LIBRARY_DIR: libraryDir,
      SPOTZEE_BASE_URL: emulator.baseUrl,
      SPOTZEE_API_KEY: EMULATOR_API_KEY,
      SPOTZEE_OPTIONS: JSON.stringify(options),
      ...(env as unknown as Record<string, string>),
    });
    try {
      const ready = await child.waitForReport('ready');
      return new StoreAppProcess(child, ready.url as string);
    } catch (error) {
      child.kill();
      throw error;
    }
  }

  /** The uids of `tracked` and `committed` lines: events whose capture the app saw complete. */
  get captured(): string[] {
    // Read incrementally: tests poll this while tens of thousands of lines arrive.
    const reports = this.child.reports;
    for (; this.scanned < reports.length; this.scanned++) {
      const report = reports[this.scanned]!;
      if (report.type === 'tracked' || report.type === 'committed') this.capturedUids.push(report.uid as string);
    }
    return this.capturedUids;
  }

  /** Dropped events the library reported, uid → reason. */
  get dropped(): Map<string, string> {
    return new Map(
      this.child.reports
        .filter((report) => report.type === 'dropped')
        .map((report) => [report.uid as string, report.reason as string]),
    );
  }

  async post(path: string): Promise<string> {
    const answer = await postOnce(`${this.url}${path}`);
    if (answer.status >= 300) throw new Error(`POST ${path} answered ${answer.status}: ${answer.body}`);
    return answer.body;
  }

  /** The library's counters and health, read inside the app. */
  async report(): Promise<StoreAppReport> {
    return JSON.parse(await this.post('/report')) as StoreAppReport;
  }

  /** SIGKILL: no hook, no drain, no flush of anything the process held. */
  async kill(): Promise<void> {
    this.child.signal('SIGKILL');
    const exit = await this.child.exited;
    if (exit.signal !== 'SIGKILL') throw new Error(`expected a SIGKILL exit, got ${JSON.stringify(exit)}`);
  }

  /** SIGTERM: the app's shutdown hooks run (the library drains), then it exits. */
  async terminate(): Promise<void> {
    this.child.signal('SIGTERM');
    await this.child.exited;
  }
}

/** Concurrent clients placing orders (one committed event each) until stopped or the app dies. */
export class OrderLoad {
  readonly done: Promise<void>;
  private next = 0;
  private stopped = false;

  constructor(
    private readonly app: StoreAppProcess,
    clients: number,
    private readonly uidPrefix: string,
  ) {
    this.done = Promise.all(Array.from({ length: clients }, () => this.client())).then(() => undefined);
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.done;
  }

  private async client(): Promise<void> {
    while (!this.stopped) {
      try {
        await postOnce(`${this.app.url}/orders/${this.uidPrefix}-order-${this.next++}`);
      } catch {
        // The app was killed under this request: the test decides what that means from the app's reports.
        return;
      }
    }
  }
}

/** How many times each `external_id` reached the emulator (replays add nothing there). */
export function arrivals(emulator: SpotzeeEmulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { event } of emulator.events) {
    const uid = String(event.external_id);
    counts.set(uid, (counts.get(uid) ?? 0) + 1);
  }
  return counts;
}

/** Uids that arrived more than once: always expected to be empty. */
export function duplicates(emulator: SpotzeeEmulator): string[] {
  return [...arrivals(emulator)].filter(([, count]) => count > 1).map(([uid]) => uid);
}

/** Uids among `expected` that never arrived. */
export function missing(emulator: SpotzeeEmulator, expected: Iterable<string>): string[] {
  const arrived = arrivals(emulator);
  return [...expected].filter((uid) => !arrived.has(uid));
}

/** Events in requests Spotzee answered as replays: a resent batch it had already accepted. */
export function replayedEvents(emulator: SpotzeeEmulator): number {
  return emulator.requests
    .filter((request) => request.replayed)
    .reduce((sum, request) => sum + (JSON.parse(request.body) as unknown[]).length, 0);
}

/** Polls the app's counters until nothing is pending (the generous limit only turns a hang into a message). */
export async function settled(app: StoreAppProcess, timeoutMs = 30_000): Promise<StoreAppReport> {
  const started = Date.now();
  for (;;) {
    const report = await app.report();
    if (report.stats.pending === 0) return report;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`still ${report.stats.pending} events pending after ${timeoutMs} ms: ${JSON.stringify(report)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits for a condition that is costly to evaluate (it walks every event received so far), polling
 * every 50 ms so the test process does not compete with the apps it drives. The limit is generous: it
 * only turns a hang into a readable failure.
 */
export async function waitFor(condition: () => boolean, description: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
