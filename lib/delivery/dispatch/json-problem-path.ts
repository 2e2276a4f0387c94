/**
 * Runs only after `JSON.stringify` threw, to turn "Converting circular structure…" into a path the user
 * can act on (`data.order.customer`). The hot path never walks the object.
 */
export type JsonProblem = { kind: 'circular' | 'bigint'; path: string };

const MAX_NODES = 10_000;

export function findJsonProblem(root: unknown, rootPath: string): JsonProblem | null {
  const ancestors: object[] = [];
  let visited = 0;

  const walk = (value: unknown, path: string): JsonProblem | null => {
    if (typeof value === 'bigint') return { kind: 'bigint', path };
    if (value === null || typeof value !== 'object') return null;
    if (ancestors.includes(value)) return { kind: 'circular', path };
    if (++visited > MAX_NODES) return null;
    // toJSON (Date, Decimal libraries) replaces the value, as JSON.stringify would.
    const candidate = (value as { toJSON?: unknown }).toJSON;
    if (typeof candidate === 'function') {
      try {
        const replaced = (candidate as () => unknown).call(value);
        if (replaced !== value) return walk(replaced, path);
      } catch {
        return null;
      }
    }
    ancestors.push(value);
    try {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const found = walk(value[i], `${path}[${i}]`);
          if (found) return found;
        }
      } else {
        for (const key of Object.keys(value)) {
          const found = walk((value as Record<string, unknown>)[key], `${path}.${key}`);
          if (found) return found;
        }
      }
    } finally {
      ancestors.pop();
    }
    return null;
  };

  return walk(root, rootPath);
}
