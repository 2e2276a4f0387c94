import type { EmulatorFault } from '../emulator-fault.js';
import type { InspectorTarget } from './inspector-target.js';

/** The buttons of the page, as the JSON they post to `/control`. */
export type InspectorControl =
  | { action: 'fault'; fault: 'status_503' | 'lost_response' | 'reset' }
  | { action: 'fault'; fault: 'rate_limit'; retryAfterSeconds: number }
  | { action: 'down' }
  | { action: 'up' }
  | { action: 'clear_faults' };

export type ParsedControl = { ok: true; control: InspectorControl } | { ok: false; message: string };

const FAULTS = ['status_503', 'rate_limit', 'lost_response', 'reset'];
const MAX_RETRY_AFTER_SECONDS = 3600;

/** Validates a control request body; the message says what is accepted. */
export function parseControl(body: string): ParsedControl {
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch {
    return { ok: false, message: 'The body must be JSON, e.g. {"action":"fault","fault":"status_503"}.' };
  }
  const fields = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  switch (fields.action) {
    case 'down':
    case 'up':
    case 'clear_faults':
      return { ok: true, control: { action: fields.action } };
    case 'fault': {
      const fault = fields.fault;
      if (typeof fault !== 'string' || !FAULTS.includes(fault)) {
        return { ok: false, message: `"fault" must be one of ${FAULTS.join(', ')}.` };
      }
      if (fault !== 'rate_limit') {
        return { ok: true, control: { action: 'fault', fault: fault as 'status_503' | 'lost_response' | 'reset' } };
      }
      const seconds = fields.retryAfterSeconds ?? 2;
      if (
        typeof seconds !== 'number' ||
        !Number.isFinite(seconds) ||
        seconds < 0 ||
        seconds > MAX_RETRY_AFTER_SECONDS
      ) {
        return { ok: false, message: `"retryAfterSeconds" must be a number from 0 to ${MAX_RETRY_AFTER_SECONDS}.` };
      }
      return { ok: true, control: { action: 'fault', fault: 'rate_limit', retryAfterSeconds: seconds } };
    }
    default:
      return { ok: false, message: '"action" must be one of fault, down, up, clear_faults.' };
  }
}

/** Applies a control to the emulator. Faults go to the next request, as `emulator.inject()` does. */
export async function applyControl(target: InspectorTarget, control: InspectorControl): Promise<void> {
  switch (control.action) {
    case 'down':
      return target.down();
    case 'up':
      return target.up();
    case 'clear_faults':
      return target.clearFaults();
    case 'fault':
      target.inject(faultFor(control));
  }
}

function faultFor(control: Extract<InspectorControl, { action: 'fault' }>): EmulatorFault {
  switch (control.fault) {
    case 'status_503':
      return { kind: 'status', status: 503 };
    case 'rate_limit':
      return { kind: 'rate_limit', retryAfterSeconds: control.retryAfterSeconds };
    case 'lost_response':
      return { kind: 'lost_response' };
    case 'reset':
      return { kind: 'reset' };
  }
}
