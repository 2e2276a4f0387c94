/**
 * How every error message names a value it refused: `got 250`, `got "yes"`, `got an array`,
 * `got a Money instance`. One wording for the engine, the Nest layer, the stores and the emulator.
 *
 * `reveal: false` names the kind only (`a string`, `a number`): for event payloads, which may hold
 * personal data, and for options where a misplaced secret could sit (a log line must never echo it).
 */
export function describeValue(value: unknown, { reveal = true }: { reveal?: boolean } = {}): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return reveal ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : 'a string';
    case 'number':
    case 'boolean':
    case 'bigint':
      return reveal ? String(value) : `a ${typeof value}`;
    case 'function':
      return reveal && value.name ? `a function (${value.name})` : 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
      return name && name !== 'Object' ? `a ${name} instance` : 'an object';
    }
  }
}

/** The kind of a value, never the value itself: `a string`, `a number`, `an array`, `a Date instance`. */
export function describeKind(value: unknown): string {
  return describeValue(value, { reveal: false });
}
