import { relative, sep } from 'node:path';
import type {
  CallExpression,
  Expression,
  Node,
  ObjectLiteralExpression,
  Program,
  SourceFile,
  Symbol as TsSymbol,
  Type,
  TypeChecker,
} from 'typescript';
import {
  CATALOG_SNAPSHOT_VERSION,
  SNAPSHOT_COMMENT,
  type CatalogEvent,
  type CatalogField,
  type CatalogSnapshot,
  type CatalogSource,
} from './catalog-snapshot.js';
import { mergeFieldMaps, sortKeys, TypeDescriber, type TypeScript } from './type-describer.js';

export interface ExtractedCatalog {
  snapshot: CatalogSnapshot;
  /** Uses the extractor could not read statically (a computed event name…), each with file and line. */
  warnings: string[];
}

interface Emission {
  source: CatalogSource;
  data: Record<string, CatalogField>;
  user: Record<string, CatalogField>;
  schemaData?: Record<string, CatalogField>;
}

interface DeclaredEvent {
  description?: string;
  data: Record<string, CatalogField>;
}

const LIBRARY_FILE = {
  emitsEvent: /emits-event\.decorator\.(d\.)?[cm]?[tj]s$/,
  tracker: /spotzee\.tracker\.(d\.)?[cm]?[tj]s$/,
};
const TEST_FILE = /\.(spec|test|e2e-spec)\.[cm]?tsx?$/;
const HTTP_METHODS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'Options', 'Head', 'All', 'Search']);
const GRAPHQL_OPERATIONS = new Set(['Query', 'Mutation', 'Subscription']);
const MESSAGE_HANDLERS: Record<string, string> = { MessagePattern: 'message', EventPattern: 'event' };

/**
 * Reads an application's event catalogue from its sources with the TypeScript compiler: the declared
 * `SpotzeeEvents` interface, every `@EmitsEvent()` and `SpotzeeTracker.track()` call, the type each
 * `data` and `identify` mapper returns, and the output type of schemas registered for an event.
 * `data` comes from the declared catalogue first, else a registered schema, else what the code sends.
 *
 * Only files under the project's folder are read, test files (`*.spec.ts`, `*.e2e-spec.ts`…) excepted.
 */
export function extractCatalog(ts: TypeScript, program: Program, projectDir: string): ExtractedCatalog {
  return new CatalogExtractor(ts, program, projectDir).run();
}

class CatalogExtractor {
  private readonly checker: TypeChecker;
  private readonly describe: TypeDescriber;
  private readonly warnings: string[] = [];
  private readonly declared = new Map<string, DeclaredEvent>();
  private readonly emissions = new Map<string, Emission[]>();
  private readonly moduleSchemas = new Map<string, Record<string, CatalogField>>();

  constructor(
    private readonly ts: TypeScript,
    private readonly program: Program,
    private readonly projectDir: string,
  ) {
    this.checker = program.getTypeChecker();
    this.describe = new TypeDescriber(ts, this.checker);
  }

  run(): ExtractedCatalog {
    for (const file of this.program.getSourceFiles()) {
      if (this.isApplicationFile(file)) {
        this.visit(file);
      }
    }
    const names = new Set([...this.declared.keys(), ...this.emissions.keys()]);
    const events: Record<string, CatalogEvent> = {};
    for (const name of [...names].sort()) {
      events[name] = this.buildEvent(name);
    }
    return {
      snapshot: { $comment: SNAPSHOT_COMMENT, version: CATALOG_SNAPSHOT_VERSION, events },
      warnings: this.warnings,
    };
  }

  private buildEvent(name: string): CatalogEvent {
    const declared = this.declared.get(name);
    const emissions = this.emissions.get(name) ?? [];
    const schemaData = emissions.find((e) => e.schemaData)?.schemaData ?? this.moduleSchemas.get(name);
    const event: CatalogEvent = {
      data: declared?.data ?? schemaData ?? mergeFieldMaps(emissions.map((e) => e.data)),
      user: mergeFieldMaps(emissions.filter((e) => Object.keys(e.user).length > 0).map((e) => e.user)),
      emittedBy: emissions.map((e) => e.source).sort(compareSources),
    };
    if (declared) {
      event.declared = true;
      if (declared.description) event.description = declared.description;
    }
    return sortEvent(event);
  }

  private isApplicationFile(file: SourceFile): boolean {
    if (this.program.isSourceFileFromExternalLibrary(file) || file.fileName.includes('/node_modules/')) {
      return false;
    }
    const path = relative(this.projectDir, file.fileName);
    return !path.startsWith('..') && !TEST_FILE.test(file.fileName);
  }

  private visit(node: Node): void {
    const { ts } = this;
    if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name) && node.name.text === 'nestjs-spotzee') {
      this.readDeclaredCatalogue(node);
    } else if (ts.isCallExpression(node)) {
      if (this.resolvesTo(node.expression, 'EmitsEvent', LIBRARY_FILE.emitsEvent)) {
        this.readDecorator(node);
      } else if (ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'track') {
        if (this.resolvesTo(node.expression, 'track', LIBRARY_FILE.tracker)) {
          this.readTrack(node);
        }
      }
    } else if (ts.isObjectLiteralExpression(node)) {
      this.readModuleSchemas(node);
    }
    ts.forEachChild(node, (child) => this.visit(child));
  }

  /** `declare module 'nestjs-spotzee' { interface SpotzeeEvents { … } }`, all augmentations merged. */
  private readDeclaredCatalogue(module: Node): void {
    this.ts.forEachChild(module, (block) => {
      this.ts.forEachChild(block, (statement) => {
        if (!this.ts.isInterfaceDeclaration(statement) || statement.name.text !== 'SpotzeeEvents') return;
        const catalogue = this.checker.getTypeAtLocation(statement);
        for (const property of this.checker.getPropertiesOfType(catalogue)) {
          const type = this.checker.getTypeOfSymbolAtLocation(property, statement);
          const description = this.ts.displayPartsToString(property.getDocumentationComment(this.checker)).trim();
          this.declared.set(property.getName(), {
            ...(description ? { description } : {}),
            data: this.describe.fieldsOf(type, statement),
          });
        }
      });
    });
  }

  private readDecorator(call: CallExpression): void {
    const name = this.eventName(call, '@EmitsEvent');
    if (name === undefined) return;
    const options = call.arguments[1];
    const optionsType = options ? this.checker.getTypeAtLocation(options) : undefined;
    const schema = this.propertyType(optionsType, 'schema', call);
    this.addEmission(name, {
      source: this.sourceOf(call, 'decorator'),
      data: this.describe.fieldsOf(this.mapperResult(optionsType, 'data', call), call),
      user: this.userFields(this.mapperResult(optionsType, 'identify', call), call),
      ...(schema ? { schemaData: this.schemaFields(schema, call) } : {}),
    });
  }

  private readTrack(call: CallExpression): void {
    const name = this.eventName(call, 'track()');
    if (name === undefined) return;
    const options = call.arguments[1];
    const optionsType = options ? this.checker.getTypeAtLocation(options) : undefined;
    this.addEmission(name, {
      source: this.sourceOf(call, 'track'),
      data: this.describe.fieldsOf(this.propertyType(optionsType, 'data', call), call),
      user: this.userFields(this.propertyType(optionsType, 'identify', call), call),
    });
  }

  /** The `schemas` entry of an object literal typed as the module's options (`forRoot`, a `useFactory` result…). */
  private readModuleSchemas(literal: ObjectLiteralExpression): void {
    const schemas = literal.properties.find(
      (p) => this.ts.isPropertyAssignment(p) && p.name.getText() === 'schemas',
    ) as { initializer: Expression } | undefined;
    if (!schemas || !this.ts.isObjectLiteralExpression(schemas.initializer)) return;
    const contextual = this.checker.getContextualType(literal);
    if (!contextual || !this.looksLikeModuleOptions(contextual)) return;
    for (const entry of schemas.initializer.properties) {
      if (!this.ts.isPropertyAssignment(entry)) continue;
      const name = this.ts.isStringLiteral(entry.name) ? entry.name.text : entry.name.getText();
      const fields = this.schemaFields(this.checker.getTypeAtLocation(entry.initializer), entry);
      if (fields) this.moduleSchemas.set(name, fields);
    }
  }

  private looksLikeModuleOptions(type: Type): boolean {
    const members = type.isUnion() ? type.types : [type];
    return members.some((member) => {
      const target = this.awaited(member);
      return target.getProperty('apiKey') !== undefined && target.getProperty('schemas') !== undefined;
    });
  }

  private awaited(type: Type): Type {
    return this.checker.getAwaitedType(type) ?? type;
  }

  /** A Standard Schema's output type (`~standard.types.output`), or a class-validator DTO's instance type. */
  private schemaFields(schema: Type, location: Node): Record<string, CatalogField> | undefined {
    const standard = this.propertyType(schema, '~standard', location);
    if (standard) {
      const types = this.propertyType(this.checker.getNonNullableType(standard), 'types', location);
      const output = types && this.propertyType(this.checker.getNonNullableType(types), 'output', location);
      return output ? this.describe.fieldsOf(output, location) : undefined;
    }
    const [construct] = schema.getConstructSignatures();
    return construct ? this.describe.fieldsOf(construct.getReturnType(), location) : undefined;
  }

  /** The `user` block's fields, its custom attributes flattened to `data.<name>`. */
  private userFields(type: Type | undefined, location: Node): Record<string, CatalogField> {
    const fields: Record<string, CatalogField> = {};
    for (const [name, field] of Object.entries(this.describe.fieldsOf(type, location))) {
      if (name !== 'data') {
        fields[name] = field;
        continue;
      }
      const dataType = type && this.propertyType(this.checker.getNonNullableType(type), 'data', location);
      const attributes = this.describe.fieldsOf(dataType, location);
      for (const [attribute, spec] of Object.entries(attributes)) fields[`data.${attribute}`] = spec;
      if (Object.keys(attributes).length === 0) fields[name] = field;
    }
    return sortKeys(fields);
  }

  private mapperResult(options: Type | undefined, mapper: string, location: Node): Type | undefined {
    const type = this.propertyType(options, mapper, location);
    const [signature] = type ? this.checker.getNonNullableType(type).getCallSignatures() : [];
    return signature?.getReturnType();
  }

  private propertyType(type: Type | undefined, name: string, location: Node): Type | undefined {
    const property: TsSymbol | undefined = type?.getProperty(name);
    return property ? this.checker.getTypeOfSymbolAtLocation(property, location) : undefined;
  }

  private eventName(call: CallExpression, what: string): string | undefined {
    const [argument] = call.arguments;
    const type = argument ? this.checker.getTypeAtLocation(argument) : undefined;
    if (type?.isStringLiteral()) {
      return type.value;
    }
    this.warnings.push(
      `${this.position(call)}: ${what} with an event name that is not a string literal (${argument?.getText() ?? 'none'}); ` +
        'it is left out of the catalogue. Use a literal or a const so the name can be read from the code.',
    );
    return undefined;
  }

  private addEmission(name: string, emission: Emission): void {
    const list = this.emissions.get(name) ?? [];
    list.push(emission);
    this.emissions.set(name, list);
  }

  /** Does the callee resolve (through imports and re-exports) to the library's own declaration of `name`? */
  private resolvesTo(callee: Expression, name: string, file: RegExp): boolean {
    let symbol = this.checker.getSymbolAtLocation(callee);
    if (symbol && symbol.flags & this.ts.SymbolFlags.Alias) {
      symbol = this.checker.getAliasedSymbol(symbol);
    }
    return (
      symbol?.getName() === name &&
      (symbol.declarations ?? []).some((declaration) => file.test(declaration.getSourceFile().fileName))
    );
  }

  private sourceOf(call: CallExpression, kind: CatalogSource['kind']): CatalogSource {
    const { ts } = this;
    // The nearest named method or function: a `track()` in a `.map()` callback belongs to the method around it.
    let node: Node | undefined = call.parent;
    while (
      node &&
      !ts.isClassLike(node) &&
      !(
        (ts.isMethodDeclaration(node) || ts.isFunctionDeclaration(node) || ts.isConstructorDeclaration(node)) &&
        (node.name || ts.isConstructorDeclaration(node))
      )
    ) {
      node = node.parent;
    }
    const owner = node && (ts.isClassLike(node) ? node : node.parent);
    const className = owner && ts.isClassLike(owner) ? owner.name?.text : undefined;
    const method =
      node && ts.isConstructorDeclaration(node)
        ? 'constructor'
        : node && (ts.isMethodDeclaration(node) || ts.isFunctionDeclaration(node))
          ? node.name?.getText()
          : undefined;
    const route =
      kind === 'decorator' && node && ts.isMethodDeclaration(node) && owner && ts.isClassLike(owner)
        ? this.route(owner, node)
        : undefined;
    // Built in this key order, which is the order the snapshot shows.
    return {
      kind,
      ...(className ? { class: className } : {}),
      ...(method ? { method } : {}),
      ...(route ? { route } : {}),
      file: this.relativeFile(call.getSourceFile()),
    };
  }

  /** `POST /orders/:id/pay` from `@Controller('orders')` and `@Post(':id/pay')`; GraphQL and message handlers too. */
  private route(owner: Node, method: Node): string | undefined {
    const prefix = this.decorators(owner).find(([name]) => name === 'Controller')?.[1] ?? '';
    for (const [name, argument] of this.decorators(method)) {
      if (HTTP_METHODS.has(name)) {
        const path = [prefix, argument ?? '']
          .map((part) => part.replace(/^\/+|\/+$/g, ''))
          .filter(Boolean)
          .join('/');
        return `${name.toUpperCase()} /${path}`;
      }
      if (GRAPHQL_OPERATIONS.has(name)) {
        return `${name.toLowerCase()} ${argument ?? (method as { name?: Node }).name?.getText() ?? ''}`.trim();
      }
      if (name in MESSAGE_HANDLERS) {
        return `${MESSAGE_HANDLERS[name]} ${argument ?? ''}`.trim();
      }
    }
    return undefined;
  }

  /** Each decorator's name and its first argument as text (a string literal's value, a `path` option, or the source text). */
  private decorators(node: Node): Array<[string, string | undefined]> {
    const { ts } = this;
    const decorators = ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : [];
    return decorators.map((decorator) => {
      const expression = decorator.expression;
      const callee = ts.isCallExpression(expression) ? expression.expression : expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      const [first] = ts.isCallExpression(expression) ? expression.arguments : [];
      return [name, first ? this.argumentText(first) : undefined];
    });
  }

  private argumentText(argument: Expression): string {
    const { ts } = this;
    if (ts.isStringLiteralLike(argument)) return argument.text;
    if (ts.isArrayLiteralExpression(argument) && argument.elements[0]) {
      return this.argumentText(argument.elements[0]);
    }
    if (ts.isObjectLiteralExpression(argument)) {
      const path = argument.properties.find((p) => ts.isPropertyAssignment(p) && p.name.getText() === 'path');
      if (path && ts.isPropertyAssignment(path)) return this.argumentText(path.initializer);
      return '';
    }
    return argument.getText();
  }

  private relativeFile(file: SourceFile): string {
    return relative(this.projectDir, file.fileName).split(sep).join('/');
  }

  private position(node: Node): string {
    const file = node.getSourceFile();
    const { line } = file.getLineAndCharacterOfPosition(node.getStart());
    return `${this.relativeFile(file)}:${line + 1}`;
  }
}

function compareSources(a: CatalogSource, b: CatalogSource): number {
  const key = (s: CatalogSource) => `${s.file}\u0000${s.class ?? ''}\u0000${s.method ?? ''}\u0000${s.kind}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/** A fixed key order, so the snapshot reads the same way for every event. */
function sortEvent(event: CatalogEvent): CatalogEvent {
  return {
    ...(event.description ? { description: event.description } : {}),
    ...(event.declared ? { declared: true } : {}),
    data: event.data,
    user: event.user,
    emittedBy: event.emittedBy,
  };
}
