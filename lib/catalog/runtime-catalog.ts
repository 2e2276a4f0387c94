import type { CatalogSnapshot } from './catalog-snapshot.js';
import { splitUnion } from './union-type.js';

/** What `catalog: 'warn' | 'strict'` does with an event that does not match the snapshot. */
export type CatalogPolicy = 'off' | 'warn' | 'strict';

/** Why an event does not match the committed catalogue. */
export interface CatalogMismatch {
  /** `name`, or the field (`data.total`). */
  param: string;
  /** A sentence fragment: `is not in the catalogue`, `data.total is missing`, `data.total is a string, the catalogue says number`. */
  problem: string;
}

type JsonKind = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object' | 'bigint';

interface FieldRule {
  readonly name: string;
  readonly optional: boolean;
  /** Undefined: any value (`unknown`, or a type this check does not model). */
  readonly kinds: ReadonlySet<JsonKind> | undefined;
  /** The literal members of the type (`"email" | "google"`, `1`, `true`): these exact values also pass. */
  readonly literals: ReadonlySet<unknown>;
  readonly type: string;
}

/**
 * The committed snapshot compiled for the capture path: per event name, its `data` fields with the
 * JSON kinds each may hold. Checks names, missing required fields and top-level kinds — what breaks
 * a segment — not the inside of nested objects; new fields pass, as they do in `--check`.
 */
export class RuntimeCatalog {
  private readonly events = new Map<string, readonly FieldRule[]>();

  constructor(snapshot: CatalogSnapshot) {
    for (const [name, event] of Object.entries(snapshot.events)) {
      this.events.set(
        name,
        Object.entries(event.data).map(([field, spec]) => ({
          name: field,
          optional: spec.optional === true,
          type: spec.type,
          ...membersOf(spec.type),
        })),
      );
    }
  }

  names(): IterableIterator<string> {
    return this.events.keys();
  }

  check(name: string, data: unknown): CatalogMismatch | undefined {
    const rules = this.events.get(name);
    if (!rules) {
      return { param: 'name', problem: 'is not in the catalogue' };
    }
    const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    for (const rule of rules) {
      const value = record[rule.name];
      if (value === undefined) {
        if (!rule.optional) {
          return {
            param: `data.${rule.name}`,
            problem: `data.${rule.name} is missing (the catalogue says ${rule.type})`,
          };
        }
        continue;
      }
      const kind = kindOf(value);
      if (rule.kinds && !rule.kinds.has(kind) && !rule.literals.has(value)) {
        const shown = rule.literals.size > 0 && ['string', 'number', 'boolean'].includes(kind);
        return {
          param: `data.${rule.name}`,
          problem: `data.${rule.name} is ${shown ? JSON.stringify(value) : `${kind === 'array' || kind === 'object' ? 'an' : 'a'} ${kind}`}, the catalogue says ${rule.type}`,
        };
      }
    }
    return undefined;
  }
}

function kindOf(value: unknown): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  // A Date reaches Spotzee as its ISO string, which is what the snapshot records for it.
  if (value instanceof Date) return 'string';
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' ? type : 'object';
}

/**
 * `"a" | "b" | null` → kinds {null}, literals {"a", "b"}. Kinds undefined when a member is `unknown`
 * or a type this check does not model: such a field takes any value.
 */
function membersOf(type: string): { kinds: ReadonlySet<JsonKind> | undefined; literals: ReadonlySet<unknown> } {
  const kinds = new Set<JsonKind>();
  const literals = new Set<unknown>();
  for (const member of splitUnion(type)) {
    if (member.startsWith('"') || /^-?\d/.test(member) || member === 'true' || member === 'false') {
      literals.add(JSON.parse(member));
    } else if (['string', 'number', 'boolean', 'null', 'bigint'].includes(member)) kinds.add(member as JsonKind);
    else if (member.endsWith('[]') || member.startsWith('[')) kinds.add('array');
    else if (member.startsWith('{') || member === 'object') kinds.add('object');
    else return { kinds: undefined, literals };
  }
  return { kinds, literals };
}
