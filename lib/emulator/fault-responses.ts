import type { EmulatorFault, RawFault } from './emulator-fault.js';
import { formatRetryAfter, type EmulatorResponse } from './emulator-response.js';
import { defaultCodeForStatus, problemResponse } from './problem-details.js';

/** The response of a fault that answers instead of processing; null for faults that let processing run. */
export function faultResponse(fault: EmulatorFault, requestId: string): EmulatorResponse | null {
  switch (fault.kind) {
    case 'status': {
      const status = fault.status ?? 503;
      const code = fault.code ?? defaultCodeForStatus(status);
      const message =
        fault.message ??
        (status === 503
          ? 'The service is temporarily unavailable (emulated fault). Retry with backoff.'
          : `Request failed with ${status} (emulated fault).`);
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      return problemResponse({ status, code, message, headers }, requestId);
    }
    case 'rate_limit': {
      const retryAfter = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
      return problemResponse(
        {
          status: 429,
          code: 'rate_limited',
          message: 'Too many requests (emulated fault). Wait for Retry-After before sending again.',
          headers:
            fault.retryAfter !== undefined
              ? { 'retry-after': fault.retryAfter }
              : retryAfter === null
                ? {}
                : { 'retry-after': formatRetryAfter(retryAfter) },
        },
        requestId,
      );
    }
    case 'raw':
      return fault.accept === true ? null : rawFaultResponse(fault);
    default:
      return null;
  }
}

/** Exactly what a `raw` fault asks for; only a JSON content type is added for non-string bodies. */
export function rawFaultResponse(fault: RawFault): EmulatorResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(fault.headers ?? {})) headers[name.toLowerCase()] = value;
  let body: Buffer | undefined;
  if (typeof fault.body === 'string') body = Buffer.from(fault.body);
  else if (fault.body instanceof Uint8Array) body = Buffer.from(fault.body);
  else if (fault.body !== undefined && fault.body !== null) {
    body = Buffer.from(JSON.stringify(fault.body));
    headers['content-type'] ??= 'application/json';
  }
  const response: EmulatorResponse = { status: fault.status, headers };
  if (body !== undefined) response.body = body;
  return response;
}
