import type { EmulatorFault, InjectedFaultHandle, InjectOptions } from '../emulator-fault.js';
import type { EmulatorStats } from '../emulator-records.js';

/** What the inspector reads and drives: the emulator's public surface, nothing inside it. */
export interface InspectorTarget {
  readonly isUp: boolean;
  readonly pendingFaults: number;
  readonly baseUrl: string;
  stats(): EmulatorStats;
  inject(fault: EmulatorFault, options?: InjectOptions): InjectedFaultHandle;
  clearFaults(): void;
  down(): Promise<void>;
  up(): Promise<void>;
}

/** The header strip of the page: whether the emulator answers, faults waiting, and the counters. */
export interface InspectorState {
  up: boolean;
  pendingFaults: number;
  eventsUrl: string;
  counters: {
    events: number;
    batches: number;
    requests: number;
    replays: number;
    /** 4xx answers that refuse the batch (rate limits and in-progress conflicts are not refusals). */
    rejections: number;
    faults: number;
  };
}

const NOT_REFUSALS = new Set(['rate_limited', 'idempotency_in_progress']);

export function inspectorState(target: InspectorTarget): InspectorState {
  const stats = target.stats();
  let rejections = 0;
  for (const [code, count] of Object.entries(stats.clientErrors)) {
    if (!NOT_REFUSALS.has(code)) rejections += count;
  }
  return {
    up: target.isUp,
    pendingFaults: target.pendingFaults,
    eventsUrl: `${target.baseUrl}/events`,
    counters: {
      events: stats.acceptedEvents,
      batches: stats.acceptedBatches,
      requests: stats.requests,
      replays: stats.replays,
      rejections,
      faults: Object.values(stats.faults).reduce((sum, count) => sum + count, 0),
    },
  };
}
