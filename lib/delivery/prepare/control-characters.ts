/**
 * C0 control characters and DEL: what must never reach a header value or a log line raw, because CR/LF forge
 * headers and lines and ESC sequences repaint terminals. One definition for every check and every escape.
 */
const C0_AND_DEL = '\\u0000-\\u001f\\u007f';
const CONTROL_CHARACTERS = new RegExp(`[${C0_AND_DEL}]`);
const CONTROL_CHARACTER_RUNS = new RegExp(`[${C0_AND_DEL}]+`, 'g');

export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTERS.test(text);
}

/** Replaces each run of control characters with one space: safe to log, still readable. */
export function blankControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTER_RUNS, ' ');
}

// C0, DEL, C1 (0x9b is a one-byte CSI, the start of an ANSI sequence) and the Unicode line and paragraph
// separators, which some log viewers break lines on.
const UNSAFE_IN_LOGS = new RegExp(`[${C0_AND_DEL}\\u0080-\\u009f\\u2028\\u2029]`, 'g');
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Makes every control character visible as an escape (`\n`, `\u001b`): text from a server can then never
 * forge a log line, rewrite a terminal, or hide what it said. Used on all server text where it is parsed.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(
    UNSAFE_IN_LOGS,
    (char) => NAMED_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
