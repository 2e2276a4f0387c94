import type { IncomingHttpHeaders } from 'node:http';

/**
 * `Bearer sk_live_abc…` becomes `Bearer sk_…`: enough to see which kind of key a client sent, never
 * the key itself, because request records are printed in test failures and demo output.
 */
function redactAuthorization(value: string): string {
  const match = /^(\S+)\s+(\S*)/.exec(value);
  if (match === null) return '[redacted]';
  const prefix = /^([A-Za-z]{2,8}_)/.exec(match[2]!);
  return `${match[1]} ${prefix === null ? '' : prefix[1]}…`;
}

/** A copy of the headers that is safe to record and to hand to user callbacks. */
export function redactHeaders(headers: IncomingHttpHeaders): Readonly<Record<string, string | string[] | undefined>> {
  const copy: Record<string, string | string[] | undefined> = { ...headers };
  if (typeof copy['authorization'] === 'string') copy['authorization'] = redactAuthorization(copy['authorization']);
  if (copy['proxy-authorization'] !== undefined) copy['proxy-authorization'] = '[redacted]';
  if (copy['cookie'] !== undefined) copy['cookie'] = '[redacted]';
  return copy;
}
