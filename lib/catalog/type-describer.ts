import type { Node, Symbol as TsSymbol, Type, TypeChecker } from 'typescript';
import type { CatalogField } from './catalog-snapshot.js';
import { splitUnion } from './union-type.js';

/** The `typescript` module, loaded from the user's project by the CLI (an optional peer). */
export type TypeScript = typeof import('typescript');

/** Nested objects deeper than this print as `object`: the snapshot stays readable and finite on recursive types. */
const MAX_DEPTH = 3;

/**
 * Describes TypeScript types as the JSON that reaches Spotzee: `Date` is the ISO string it serialises
 * to, functions are what `JSON.stringify` drops, and unions print in a stable order so the same code
 * always gives the same snapshot.
 */
export class TypeDescriber {
  constructor(
    private readonly ts: TypeScript,
    private readonly checker: TypeChecker,
  ) {}

  /** The fields of an object type (a union of objects merges: a field missing from a member is optional). */
  fieldsOf(type: Type | undefined, location: Node): Record<string, CatalogField> {
    if (!type) {
      return {};
    }
    const target = this.checker.getNonNullableType(type);
    if (target.flags & (this.ts.TypeFlags.Any | this.ts.TypeFlags.Unknown)) {
      return {};
    }
    if (target.isUnion() && !(target.flags & this.ts.TypeFlags.Boolean)) {
      return mergeFieldMaps(target.types.map((member) => this.fieldsOf(member, location)));
    }
    const fields: Record<string, CatalogField> = {};
    for (const property of this.checker.getPropertiesOfType(target)) {
      const field = this.describeProperty(property, location);
      if (field) {
        fields[property.getName()] = field;
      }
    }
    return sortKeys(fields);
  }

  describeProperty(property: TsSymbol, location: Node): CatalogField | undefined {
    const type = this.checker.getTypeOfSymbolAtLocation(property, location);
    if (this.isFunction(type)) {
      return undefined; // methods and callbacks never reach the wire
    }
    const field: CatalogField = { type: this.print(type, 0) };
    if (property.flags & this.ts.SymbolFlags.Optional || this.includesUndefined(type)) {
      field.optional = true;
    }
    const description = this.ts.displayPartsToString(property.getDocumentationComment(this.checker)).trim();
    if (description) {
      field.description = description;
    }
    return field;
  }

  /** `string`, `"email" | "google"`, `number[]`, `{ id: string; qty?: number }`, `unknown`… */
  print(type: Type, depth: number): string {
    const { TypeFlags } = this.ts;
    if (type.flags & (TypeFlags.Any | TypeFlags.Unknown)) return 'unknown';
    if (type.flags & TypeFlags.Boolean) return 'boolean';
    if (type.isUnion()) {
      const members = type.types.filter((t) => !(t.flags & (TypeFlags.Undefined | TypeFlags.Void)));
      const printed = members.map((t) => this.print(t, depth));
      const hasTrue = printed.includes('true');
      const hasFalse = printed.includes('false');
      const parts = new Set(
        printed.filter((p) => !(hasTrue && hasFalse && (p === 'true' || p === 'false'))).flatMap(splitUnion),
      );
      if (hasTrue && hasFalse) parts.add('boolean');
      return [...parts].sort(compareUnionMembers).join(' | ') || 'null';
    }
    if (type.flags & TypeFlags.String) return 'string';
    if (type.flags & TypeFlags.Number) return 'number';
    if (type.flags & TypeFlags.BigInt) return 'bigint';
    if (type.flags & TypeFlags.Null) return 'null';
    if (type.flags & (TypeFlags.Undefined | TypeFlags.Void)) return 'null';
    if (type.isStringLiteral()) return JSON.stringify(type.value);
    if (type.isNumberLiteral()) return String(type.value);
    if (type.flags & TypeFlags.BooleanLiteral) return this.checker.typeToString(type);
    if (this.checker.isArrayType(type)) {
      const element = this.print(this.checker.getTypeArguments(type as never)[0]!, depth);
      return element.includes(' | ') ? `(${element})[]` : `${element}[]`;
    }
    if (this.checker.isTupleType(type)) {
      return `[${this.checker
        .getTypeArguments(type as never)
        .map((t) => this.print(t, depth))
        .join(', ')}]`;
    }
    if (type.flags & TypeFlags.Object) {
      if (type.getSymbol()?.getName() === 'Date') return 'string';
      if (this.isFunction(type)) return 'unknown';
      if (depth >= MAX_DEPTH) return 'object';
      return this.printObject(type, depth + 1);
    }
    return this.checker.typeToString(type);
  }

  private printObject(type: Type, depth: number): string {
    const parts: string[] = [];
    for (const info of this.checker.getIndexInfosOfType(type)) {
      parts.push(`[key: ${this.checker.typeToString(info.keyType)}]: ${this.print(info.type, depth)}`);
    }
    const properties = [...this.checker.getPropertiesOfType(type)].sort((a, b) => compare(a.getName(), b.getName()));
    for (const property of properties) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      if (!declaration) continue;
      const field = this.describeProperty(property, declaration);
      if (field) parts.push(`${property.getName()}${field.optional ? '?' : ''}: ${field.type}`);
    }
    return parts.length === 0 ? '{}' : `{ ${parts.join('; ')} }`;
  }

  private isFunction(type: Type): boolean {
    const target = this.checker.getNonNullableType(type);
    return target.getCallSignatures().length > 0 && target.getProperties().length === 0;
  }

  private includesUndefined(type: Type): boolean {
    return type.isUnion() && type.types.some((t) => t.flags & (this.ts.TypeFlags.Undefined | this.ts.TypeFlags.Void));
  }
}

/** Field maps of several emitters of one event: a field some of them leave out is optional; types unite. */
export function mergeFieldMaps(maps: readonly Record<string, CatalogField>[]): Record<string, CatalogField> {
  if (maps.length <= 1) {
    return maps[0] ?? {};
  }
  const merged: Record<string, CatalogField> = {};
  const names = new Set(maps.flatMap((map) => Object.keys(map)));
  for (const name of names) {
    const present = maps.map((map) => map[name]).filter((field): field is CatalogField => field !== undefined);
    const field: CatalogField = { type: uniteTypes(present.map((f) => f.type)) };
    if (present.length < maps.length || present.some((f) => f.optional)) {
      field.optional = true;
    }
    const description = present.find((f) => f.description)?.description;
    if (description) {
      field.description = description;
    }
    merged[name] = field;
  }
  return sortKeys(merged);
}

function uniteTypes(types: readonly string[]): string {
  return [...new Set(types.flatMap(splitUnion))].sort(compareUnionMembers).join(' | ');
}

function compareUnionMembers(a: string, b: string): number {
  // `null` last reads naturally: `string | null`.
  if (a === 'null' || b === 'null') return a === b ? 0 : a === 'null' ? 1 : -1;
  return compare(a, b);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compare(a, b)));
}
