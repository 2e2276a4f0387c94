import { describeValue } from '../delivery/describe-value.js';
import { FAULT_KINDS, type EmulatorFault } from './emulator-fault.js';

/**
 * Faults are test inputs: a typo (`status: 5003`, `delayMs: '50'`) would otherwise surface as a
 * confusing client failure far from its cause, so they are checked when injected.
 */
export function assertValidFault(fault: EmulatorFault): void {
  if (fault === null || typeof fault !== 'object' || !FAULT_KINDS.includes(fault.kind)) {
    throw new TypeError(
      `SpotzeeEmulator: unknown fault kind ${describeValue((fault as { kind?: unknown } | null)?.kind)}; expected one of kinds ${FAULT_KINDS.join(', ')}.`,
    );
  }
  switch (fault.kind) {
    case 'status':
      if (fault.status !== undefined && !isIntegerIn(fault.status, 400, 599)) {
        throw new TypeError(
          `SpotzeeEmulator: a 'status' fault needs a status between 400 and 599 (got ${describeValue(fault.status)}); use a 'raw' fault for other statuses.`,
        );
      }
      assertRetryAfter(fault.retryAfter);
      if (fault.remember !== undefined && fault.remember !== false && !isIntegerIn(fault.status, 400, 499)) {
        throw new TypeError(
          `SpotzeeEmulator: 'remember' applies to 4xx 'status' faults only (got status ${describeValue(fault.status ?? 503)}); Spotzee never remembers 5xx answers.`,
        );
      }
      return;
    case 'rate_limit':
      if (
        fault.retryAfterSeconds !== undefined &&
        fault.retryAfterSeconds !== null &&
        !isNonNegativeNumber(fault.retryAfterSeconds)
      ) {
        throw new TypeError(
          `SpotzeeEmulator: 'retryAfterSeconds' must be a number ≥ 0 or null (got ${describeValue(fault.retryAfterSeconds)}).`,
        );
      }
      if (Array.isArray(fault.retryAfter)) for (const value of fault.retryAfter) assertRetryAfter(value);
      else assertRetryAfter(fault.retryAfter);
      return;
    case 'slow':
      if (!isNonNegativeNumber(fault.delayMs)) {
        throw new TypeError(
          `SpotzeeEmulator: a 'slow' fault needs 'delayMs', a number ≥ 0 (got ${describeValue(fault.delayMs)}).`,
        );
      }
      if (fault.until !== undefined && typeof fault.until?.then !== 'function') {
        throw new TypeError(
          `SpotzeeEmulator: a 'slow' fault's 'until' must be a promise (got ${describeValue(fault.until)}).`,
        );
      }
      return;
    case 'raw':
      if (!isIntegerIn(fault.status, 100, 599)) {
        throw new TypeError(
          `SpotzeeEmulator: a 'raw' fault needs a status between 100 and 599 (got ${describeValue(fault.status)}).`,
        );
      }
      return;
    default:
      return;
  }
}

/** A `Retry-After` sent as given: any number or header-safe string (the point is to send odd ones). */
function assertRetryAfter(value: unknown): void {
  if (value === undefined || (typeof value === 'number' && Number.isFinite(value))) return;
  if (typeof value === 'string' && !/[\r\n\0]/.test(value)) return;
  throw new TypeError(
    `SpotzeeEmulator: 'retryAfter' must be a number or a string without CR, LF or NUL (got ${describeValue(value)}).`,
  );
}

export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

export function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
