/**
 * C0 control characters and DEL: what must never reach a header value or a log line raw, because CR/LF forge
 * headers and lines and ESC sequences repaint terminals. One definition for every check and every escape.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- as above, for replacing runs of them
const CONTROL_CHARACTER_RUNS = /[\u0000-\u001f\u007f]+/g;

export function hasControlCharacters(text: string): boolean {
  return CONTROL_CHARACTERS.test(text);
}

/** Replaces each run of control characters with one space: safe to log, still readable. */
export function blankControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTER_RUNS, ' ');
}
