import { isObservable, lastValueFrom } from 'rxjs';

/** Thrown into an awaited user callback's chain when it did not settle in time. */
export class CallbackTimedOut {
  constructor(readonly ms: number) {}
}

/** A Promise (any thenable) or an Observable: Nest code returns either by habit. */
export function isAsync(value: unknown): value is PromiseLike<unknown> | import('rxjs').Observable<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
    return false;
  }
  return typeof (value as { then?: unknown }).then === 'function' || isObservable(value);
}

/**
 * Awaits what a user callback returned (an Observable's last value, `undefined` if it completes
 * empty), bounded: past `ms` it rejects with `CallbackTimedOut`. The timer does not keep the process
 * alive on its own (a closed app must be free to exit; an undecided event is then reported by the
 * drain on `beforeExit` or the line on `exit`), and it is cleared as soon as the value settles.
 */
export function settleWithin(
  value: PromiseLike<unknown> | import('rxjs').Observable<unknown>,
  ms: number,
): Promise<unknown> {
  const pending: Promise<unknown> = isObservable(value)
    ? lastValueFrom(value, { defaultValue: undefined })
    : Promise.resolve(value);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallbackTimedOut(ms)), ms);
    timer.unref();
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}
