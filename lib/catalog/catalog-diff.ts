import type { CatalogEvent, CatalogField, CatalogSnapshot, CatalogSource } from './catalog-snapshot.js';

export type CatalogChangeKind =
  | 'event_removed'
  | 'field_removed'
  | 'field_type_changed'
  | 'field_made_optional'
  | 'event_added'
  | 'field_added'
  | 'field_made_required';

export interface CatalogChange {
  kind: CatalogChangeKind;
  /** Breaking changes fail `--check`: journeys and segments built on the old shape stop matching. */
  breaking: boolean;
  event: string;
  /** `data.total`, `user.email`; absent for whole-event changes. */
  field?: string;
  message: string;
}

const BREAKING: ReadonlySet<CatalogChangeKind> = new Set([
  'event_removed',
  'field_removed',
  'field_type_changed',
  'field_made_optional',
]);

/**
 * Compares the committed snapshot with the catalogue read from the code. Removing or renaming an
 * event, removing a field, changing a field's type or making it optional break what marketing built
 * on the events; new events and new fields do not.
 */
export function diffCatalogs(committed: CatalogSnapshot, current: CatalogSnapshot): CatalogChange[] {
  const changes: CatalogChange[] = [];
  const added = Object.keys(current.events).filter((name) => !(name in committed.events));
  for (const [name, before] of Object.entries(committed.events)) {
    const after = current.events[name];
    if (!after) {
      const renamedTo = added.find((candidate) => sameFieldNames(before, current.events[candidate]!));
      changes.push(
        change(
          'event_removed',
          name,
          undefined,
          `event "${name}" was removed${renamedTo ? ` (renamed to "${renamedTo}"?)` : ''}: ` +
            `journeys and segments that use "${name}" stop receiving it. It was emitted by ${describeSources(before.emittedBy)}.`,
        ),
      );
      continue;
    }
    compareFields(changes, name, 'data', before.data, after.data);
    compareFields(changes, name, 'user', before.user ?? {}, after.user ?? {});
  }
  for (const name of added) {
    changes.push(
      change(
        'event_added',
        name,
        undefined,
        `event "${name}" is new (${describeSources(current.events[name]!.emittedBy)}).`,
      ),
    );
  }
  return changes;
}

function compareFields(
  changes: CatalogChange[],
  event: string,
  block: 'data' | 'user',
  before: Record<string, CatalogField>,
  after: Record<string, CatalogField>,
): void {
  for (const [name, was] of Object.entries(before)) {
    const field = `${block}.${name}`;
    const now = after[name];
    if (!now) {
      changes.push(
        change('field_removed', event, field, `field ${field} of event "${event}" was removed (it was ${was.type}).`),
      );
      continue;
    }
    if (now.type !== was.type) {
      changes.push(
        change(
          'field_type_changed',
          event,
          field,
          `field ${field} of event "${event}" changed type: ${was.type} → ${now.type}.`,
        ),
      );
    }
    if (now.optional && !was.optional) {
      changes.push(
        change(
          'field_made_optional',
          event,
          field,
          `field ${field} of event "${event}" became optional: events may now arrive without it.`,
        ),
      );
    } else if (was.optional && !now.optional) {
      changes.push(
        change('field_made_required', event, field, `field ${field} of event "${event}" is now always sent.`),
      );
    }
  }
  for (const [name, now] of Object.entries(after)) {
    if (!(name in before)) {
      changes.push(
        change(
          'field_added',
          event,
          `${block}.${name}`,
          `field ${block}.${name} of event "${event}" is new (${now.type}${now.optional ? ', optional' : ''}).`,
        ),
      );
    }
  }
}

function change(kind: CatalogChangeKind, event: string, field: string | undefined, message: string): CatalogChange {
  return { kind, breaking: BREAKING.has(kind), event, ...(field === undefined ? {} : { field }), message };
}

function sameFieldNames(a: CatalogEvent, b: CatalogEvent): boolean {
  const names = (event: CatalogEvent) => Object.keys(event.data).sort().join(',');
  return Object.keys(a.data).length > 0 && names(a) === names(b);
}

function describeSources(sources: readonly CatalogSource[]): string {
  if (sources.length === 0) {
    return 'the declared catalogue only';
  }
  return sources.map(describeSource).join(', ');
}

export function describeSource(source: CatalogSource): string {
  const where = [source.class, source.method].filter(Boolean).join('.') || source.file;
  const call = source.kind === 'track' ? `${where} (track())` : where;
  return source.route ? `${call} [${source.route}]` : call;
}
