import type {
  ChaosOptions,
  EmulatorFault,
  FaultMatcher,
  FaultRequest,
  InjectedFaultHandle,
  InjectOptions,
  WeightedFault,
} from './emulator-fault.js';
import { assertValidFault, isNonNegativeNumber } from './fault-validation.js';
import { createSeededRandom } from './seeded-random.js';

interface QueuedFault {
  fault: EmulatorFault;
  remaining: number;
  hits: number;
  match: FaultMatcher | undefined;
}

interface ChaosState {
  rate: number;
  choices: WeightedFault[];
  totalWeight: number;
  random: () => number;
  match: FaultMatcher | undefined;
}

/** Used when `chaos()` is given no fault list: the failures a client meets most in production. */
export const DEFAULT_CHAOS_FAULTS: readonly WeightedFault[] = [
  { fault: { kind: 'status', status: 503 }, weight: 3 },
  { fault: { kind: 'status', status: 500 }, weight: 1 },
  { fault: { kind: 'rate_limit', retryAfterSeconds: 0.05 }, weight: 2 },
  { fault: { kind: 'reset' }, weight: 2 },
  { fault: { kind: 'lost_response' }, weight: 2 },
];

/**
 * Decides which fault, if any, the next request gets. Injected faults go first, in the order they were
 * injected; chaos applies only to requests no injected fault claimed.
 */
export class FaultPlan {
  private queue: QueuedFault[] = [];
  private chaosState: ChaosState | null = null;

  inject(fault: EmulatorFault, options: InjectOptions = {}): InjectedFaultHandle {
    assertValidFault(fault);
    const times = options.times ?? 1;
    if (times !== Infinity && !(Number.isInteger(times) && times >= 1)) {
      throw new TypeError(`SpotzeeEmulator: 'times' must be a positive integer or Infinity (got ${String(times)}).`);
    }
    const entry: QueuedFault = { fault, remaining: times, hits: 0, match: options.match };
    this.queue.push(entry);
    return {
      fault,
      get hits() {
        return entry.hits;
      },
      get remaining() {
        return entry.remaining;
      },
      cancel: () => {
        entry.remaining = 0;
        this.queue = this.queue.filter((queued) => queued !== entry);
      },
    };
  }

  chaos(options: ChaosOptions | null): void {
    if (options === null) {
      this.chaosState = null;
      return;
    }
    if (!isNonNegativeNumber(options.rate) || options.rate > 1) {
      throw new TypeError(`SpotzeeEmulator: chaos 'rate' must be between 0 and 1 (got ${String(options.rate)}).`);
    }
    const choices = (options.faults ?? DEFAULT_CHAOS_FAULTS).map(toWeighted);
    if (choices.length === 0) {
      throw new TypeError('SpotzeeEmulator: chaos needs at least one fault to pick from.');
    }
    for (const choice of choices) {
      assertValidFault(choice.fault);
      if (!(typeof choice.weight === 'number' && Number.isFinite(choice.weight) && choice.weight > 0)) {
        throw new TypeError(`SpotzeeEmulator: chaos weights must be positive numbers (got ${String(choice.weight)}).`);
      }
    }
    this.chaosState = {
      rate: options.rate,
      choices,
      totalWeight: choices.reduce((sum, choice) => sum + choice.weight, 0),
      random: createSeededRandom(options.seed ?? 1),
      match: options.match,
    };
  }

  next(request: FaultRequest): EmulatorFault | null {
    for (const entry of this.queue) {
      if (entry.remaining > 0 && (entry.match === undefined || entry.match(request))) {
        entry.remaining -= 1;
        entry.hits += 1;
        if (entry.remaining === 0) this.queue = this.queue.filter((queued) => queued !== entry);
        return entry.fault;
      }
    }
    return this.pickChaos(request);
  }

  /** Injected faults still waiting for a request. */
  get pending(): number {
    return this.queue.reduce((sum, entry) => sum + entry.remaining, 0);
  }

  clear(): void {
    for (const entry of this.queue) entry.remaining = 0;
    this.queue = [];
    this.chaosState = null;
  }

  private pickChaos(request: FaultRequest): EmulatorFault | null {
    const chaos = this.chaosState;
    if (chaos === null || (chaos.match !== undefined && !chaos.match(request))) return null;
    if (chaos.random() >= chaos.rate) return null;
    let point = chaos.random() * chaos.totalWeight;
    for (const choice of chaos.choices) {
      point -= choice.weight;
      if (point < 0) return choice.fault;
    }
    return chaos.choices[chaos.choices.length - 1]!.fault;
  }
}

function toWeighted(item: EmulatorFault | WeightedFault): WeightedFault {
  return 'fault' in item ? item : { fault: item, weight: 1 };
}
