/**
 * Every key the Redis store uses, under one hash tag (`{spotzee}`) so they live in one slot and the
 * store's scripts, which touch several of them at once, also run on a Redis Cluster.
 */
export class RedisKeys {
  readonly tag: string;

  constructor(prefix: string) {
    this.tag = `{${prefix}}`;
  }

  /**
   * A token set by the first replica to reach a Redis without one. A Redis that comes back without the
   * token a replica saw before (a restart without persistence, a flush, an eviction) lost every
   * replica's work with it.
   */
  get generation(): string {
    return `${this.tag}:generation`;
  }

  /** The set of replica ids that may hold work. */
  get replicas(): string {
    return `${this.tag}:replicas`;
  }

  /** Exists while the replica is alive (refreshed well within its lease). */
  alive(replica: string): string {
    return `${this.tag}:alive:${replica}`;
  }

  /** The replica's queued events: event id → stored event. */
  events(replica: string): string {
    return `${this.tag}:events:${replica}`;
  }

  /** The replica's frozen batches: batch ref → key, body and events. */
  batches(replica: string): string {
    return `${this.tag}:batches:${replica}`;
  }

  /** An explicit idempotency key claimed within the dedupe window; holds the claiming event's id. */
  idempotency(key: string): string {
    return `${this.tag}:key:${key}`;
  }
}
