/**
 * Demo bearer tokens are `user_<accountId>`: readable in a curl line, and enough to show how the
 * signed-in user's id becomes the event's `external_id`. A real app verifies a JWT or a session here.
 */
const TOKEN_PREFIX = 'user_';

export function demoTokenFor(accountId: string): string {
  return `${TOKEN_PREFIX}${accountId}`;
}

export function accountIdFromAuthorization(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  const token = match?.[1];
  if (token === undefined || !token.startsWith(TOKEN_PREFIX)) return null;
  const accountId = token.slice(TOKEN_PREFIX.length);
  return accountId.length > 0 ? accountId : null;
}
