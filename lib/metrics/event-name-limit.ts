/** The `event` attribute value once `maxEventNames` distinct names have been seen. */
export const OTHER_EVENT_NAME = '_other';

/**
 * Bounds the cardinality of the `event` attribute: the first `max` distinct event names keep their own
 * series, later ones share `_other`. Event names come from code, but a bug (a name built from an id)
 * must not turn into an unbounded number of time series on the user's metrics backend.
 */
export class EventNameLimit {
  readonly #known = new Set<string>();

  constructor(private readonly max: number) {}

  label(name: string): string {
    if (this.#known.has(name)) return name;
    if (this.#known.size >= this.max) return OTHER_EVENT_NAME;
    this.#known.add(name);
    return name;
  }
}
