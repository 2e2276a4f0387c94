import type { Type } from '@nestjs/common';

/**
 * The part of the Standard Schema v1 interface (zod, valibot, arktype…) that we call. Declared here
 * rather than imported so the published types do not depend on `@standard-schema/spec`.
 */
export interface StandardSchemaLike {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult | Promise<StandardSchemaResult>;
  };
}

export type StandardSchemaResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/** A Standard Schema, or a class-validator DTO class (needs the optional peers class-validator + class-transformer). */
export type SpotzeeSchema = StandardSchemaLike | Type<object>;

export type SchemaCheck =
  { ok: true; data: Record<string, unknown> | null } | { ok: false; problem: string; param: string };

interface ValidationErrorLike {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationErrorLike[];
}

interface ClassValidation {
  plainToInstance(cls: Type<object>, plain: object): object;
  validateSync(target: object): ValidationErrorLike[];
}

export function isStandardSchema(value: unknown): value is StandardSchemaLike {
  const spec = (value as { '~standard'?: { validate?: unknown } } | null | undefined)?.['~standard'];
  return typeof spec === 'object' && spec !== null && typeof spec.validate === 'function';
}

export function isDtoClass(value: unknown): value is Type<object> {
  return typeof value === 'function' && typeof (value as { prototype?: unknown }).prototype === 'object';
}

export function isSpotzeeSchema(value: unknown): value is SpotzeeSchema {
  return isStandardSchema(value) || isDtoClass(value);
}

// Specifiers held in variables: bundlers and `tsc` must not try to resolve optional peers.
const CLASS_VALIDATOR = 'class-validator';
const CLASS_TRANSFORMER = 'class-transformer';

let classValidation: ClassValidation | undefined;
let classValidationLoading: Promise<ClassValidation> | undefined;

/**
 * Loads class-validator and class-transformer once. The explorer calls it at start-up when a DTO
 * schema is in use, so that validation on the request path is synchronous afterwards and a missing
 * peer fails the boot instead of every event.
 */
export function loadClassValidation(): Promise<ClassValidation> {
  classValidationLoading ??= Promise.all([import(CLASS_VALIDATOR), import(CLASS_TRANSFORMER)]).then(
    ([validator, transformer]: [Record<string, unknown>, Record<string, unknown>]) => {
      const pick = <T>(mod: Record<string, unknown>, name: string): T =>
        (mod[name] ?? (mod.default as Record<string, unknown> | undefined)?.[name]) as T;
      const loaded: ClassValidation = {
        validateSync: pick(validator, 'validateSync'),
        plainToInstance: pick(transformer, 'plainToInstance'),
      };
      if (typeof loaded.validateSync !== 'function' || typeof loaded.plainToInstance !== 'function') {
        throw new Error('class-validator or class-transformer does not export validateSync/plainToInstance');
      }
      classValidation = loaded;
      return loaded;
    },
  );
  classValidationLoading.catch(() => {
    // Let a later call retry (for example after the peer was installed in a watch-mode session).
    classValidationLoading = undefined;
  });
  return classValidationLoading;
}

/**
 * Checks an event's `data` against its schema. Synchronous whenever the schema is (so the event keeps
 * its capture-time stamp and ordering); a Promise only for async Standard Schemas, or a DTO schema
 * used before `loadClassValidation()` finished.
 */
export function checkSchema(schema: SpotzeeSchema, data: unknown): SchemaCheck | Promise<SchemaCheck> {
  if (isStandardSchema(schema)) {
    const result = schema['~standard'].validate(data);
    return isPromiseLike(result) ? Promise.resolve(result).then(fromStandardResult) : fromStandardResult(result);
  }
  if (classValidation) {
    return checkDto(classValidation, schema, data);
  }
  return loadClassValidation().then((loaded) => checkDto(loaded, schema, data));
}

function fromStandardResult(result: StandardSchemaResult): SchemaCheck {
  if (result.issues) {
    const [first] = result.issues;
    const path = (first?.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part));
    return {
      ok: false,
      problem: result.issues.map((issue) => issue.message).join('; ') || 'the schema reported an issue',
      param: ['data', ...path].join('.'),
    };
  }
  // The schema's output is what gets sent: that is what a user gets from parse() everywhere else.
  const value = result.value;
  if (value === null || value === undefined) {
    return { ok: true, data: null };
  }
  return { ok: true, data: value as Record<string, unknown> };
}

function checkDto(validation: ClassValidation, schema: Type<object>, data: unknown): SchemaCheck {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, problem: `data must be an object to be checked against ${schema.name}`, param: 'data' };
  }
  const errors = validation.validateSync(validation.plainToInstance(schema, data));
  if (errors.length === 0) {
    // The DTO instance is only a checker: the user's plain object is sent, keys exactly as written.
    return { ok: true, data: data as Record<string, unknown> };
  }
  const flat = flatten(errors, 'data');
  return {
    ok: false,
    problem: flat.map(({ path, messages }) => `${path}: ${messages.join(', ')}`).join('; '),
    param: flat[0]?.path ?? 'data',
  };
}

function flatten(errors: ValidationErrorLike[], prefix: string): Array<{ path: string; messages: string[] }> {
  return errors.flatMap((error) => {
    const path = `${prefix}.${error.property}`;
    const own = error.constraints ? [{ path, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
