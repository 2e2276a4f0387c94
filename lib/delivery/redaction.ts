/**
 * Scrubs secrets from any text before it reaches a log line, an error, a stat or a listener. Applied to
 * our own messages and to text we do not control (server error messages, undici errors), since either
 * could echo the key back.
 */
export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';

// Anything shaped like a Spotzee key, so a server message quoting a *different* or truncated key is
// scrubbed too.
const KEY_SHAPE = /\b([sp]k)_[A-Za-z0-9_-]{4,}/g;
const BEARER = /\bBearer\s+[^\s,;"']+/gi;

export function createRedactor(secret: string | undefined): Redactor {
  const exact = secret && secret.length > 0 ? secret : undefined;
  return (text: string): string => {
    let out = String(text);
    if (exact !== undefined && out.includes(exact)) out = out.split(exact).join(REDACTED);
    return out.replace(BEARER, `Bearer ${REDACTED}`).replace(KEY_SHAPE, `$1_${REDACTED}`);
  };
}
