/**
 * Partial deep matching for recorder expectations, written here rather than borrowed from a test
 * runner so the testing module works under any of them. Objects match when every expected key
 * matches; arrays match element by element with the same length; anything with an
 * `asymmetricMatch` method (Jest's and Vitest's `expect.any(String)`, `expect.stringMatching(…)`)
 * decides for itself.
 */

interface AsymmetricMatcher {
  asymmetricMatch(other: unknown): boolean;
  toAsymmetricMatcher?(): string;
}

function isAsymmetricMatcher(value: unknown): value is AsymmetricMatcher {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AsymmetricMatcher>).asymmetricMatch === 'function'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Describes the first difference (`data.total: expected 25, got 20`), or undefined when `actual` matches. */
export function findMismatch(actual: unknown, expected: unknown, path: string): string | undefined {
  if (isAsymmetricMatcher(expected)) {
    return expected.asymmetricMatch(actual) ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      return `${path}: expected an array, got ${show(actual)}`;
    }
    if (actual.length !== expected.length) {
      return `${path}: expected ${expected.length} items, got ${actual.length}`;
    }
    for (let index = 0; index < expected.length; index += 1) {
      const mismatch = findMismatch(actual[index], expected[index], `${path}[${index}]`);
      if (mismatch) {
        return mismatch;
      }
    }
    return undefined;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) {
      return `${path}: expected an object, got ${show(actual)}`;
    }
    for (const [key, value] of Object.entries(expected)) {
      const mismatch = findMismatch(actual[key], value, `${path}.${key}`);
      if (mismatch) {
        return mismatch;
      }
    }
    return undefined;
  }
  return Object.is(actual, expected) ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

/** JSON-ish rendering that survives matchers, BigInt and cycles: it only ever feeds a message. */
export function show(value: unknown): string {
  if (value === undefined) {
    return 'undefined';
  }
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, item: unknown) => {
        if (isAsymmetricMatcher(item)) {
          return `<${item.toAsymmetricMatcher?.() ?? item.constructor?.name ?? 'matcher'}>`;
        }
        if (typeof item === 'bigint') {
          return `${item}n`;
        }
        if (typeof item === 'object' && item !== null) {
          if (seen.has(item)) {
            return '[Circular]';
          }
          seen.add(item);
        }
        return item;
      }) ?? String(value)
    );
  } catch {
    return String(value);
  }
}
