import { Injectable } from '@nestjs/common';

/**
 * HTTP requests whose events are held until the response finishes. The recorder waits on it so a
 * test can assert "nothing was sent" only after the verdict, not just after the client saw the
 * response (Node may run the client's callback before the server's `finish` listener).
 */
@Injectable()
export class OpenRequests {
  private readonly open = new Set<object>();
  private idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.open.size;
  }

  opened(request: object): void {
    this.open.add(request);
  }

  closed(request: object): void {
    if (!this.open.delete(request) || this.open.size > 0) {
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) {
      resolve();
    }
  }

  /** Resolves once no request is open (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.open.size === 0) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
