import { escapeControlCharacters } from '../prepare/control-characters.js';

/**
 * Scrubs secrets from any text before it reaches a log line, an error, a stat or a listener. Applied to
 * our own messages and to text we do not control (server error messages, undici errors), since either
 * could echo the key back.
 */
export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';

// Anything shaped like a Spotzee key, in any case, so a server message quoting a *different*, truncated
// or upper-cased key is scrubbed too.
const KEY_SHAPE = /\b([sp]k)_[A-Za-z0-9_-]{4,}/gi;
const BEARER = /\bBearer\s+[^\s,;"']+/gi;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createRedactor(secret: string | undefined): Redactor {
  // Case-insensitive: a server (or a proxy) that upper-cases what it echoes must not un-redact the key.
  const exact = secret && secret.length > 0 ? new RegExp(escapeRegExp(secret), 'gi') : undefined;
  return (text: string): string => {
    let out = String(text);
    if (exact !== undefined) out = out.replace(exact, REDACTED);
    return out.replace(BEARER, `Bearer ${REDACTED}`).replace(KEY_SHAPE, `$1_${REDACTED}`);
  };
}

/**
 * How every string that came from the server is made safe, once, where the answer is parsed: the key
 * redacted (a server or proxy may echo it in any field, in any case) and control characters escaped
 * (CR/LF would forge log lines, ESC sequences repaint terminals). Everything downstream — log lines,
 * outcomes, `health()` — then only ever holds the clean text.
 */
export type ServerTextCleaner = (text: string) => string;

export function createServerTextCleaner(redact: Redactor): ServerTextCleaner {
  return (text: string): string => escapeControlCharacters(redact(text));
}
