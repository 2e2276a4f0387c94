import type { ProblemLog } from './engine-log.js';
import type { DeliveryEvents } from './outcomes.js';

type AnyListener = (payload: never) => unknown;

/**
 * Typed listeners that can never break the engine: a throwing listener, or an async one that rejects,
 * is reported to the `ProblemLog` and the next listener still runs.
 */
export class ListenerRegistry {
  readonly #listeners = new Map<keyof DeliveryEvents, Set<AnyListener>>();

  constructor(private readonly problems: ProblemLog) {}

  on<K extends keyof DeliveryEvents>(type: K, listener: DeliveryEvents[K]): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    // Wrapped so the same function registered twice is two subscriptions, each removable on its own.
    const entry: AnyListener = (payload) => (listener as (p: unknown) => unknown)(payload);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  has(type: keyof DeliveryEvents): boolean {
    return (this.#listeners.get(type)?.size ?? 0) > 0;
  }

  emit<K extends keyof DeliveryEvents>(type: K, payload: Parameters<DeliveryEvents[K]>[0]): void {
    const set = this.#listeners.get(type);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        const result = listener(payload as never) as { then?: unknown; catch?: unknown } | undefined;
        if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
          (result as Promise<unknown>).then(undefined, (error: unknown) => this.problems.listenerThrew(type, error));
        }
      } catch (error) {
        this.problems.listenerThrew(type, error);
      }
    }
  }
}
