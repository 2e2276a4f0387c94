/**
 * The naming pitfalls Spotzee's guide warns about, found from the names alone: page-view events sent
 * from a backend, and one event spelled two ways (`orderPlaced` and `order_placed`), which Spotzee
 * counts as two events so each journey sees only half.
 */

/** Where each name is used (`OrdersController.place`, `schemas.order_placed`, `spotzee-events.json`). */
export type NameUses = ReadonlyMap<string, readonly string[]>;

const VIEW_WORDS = new Set([
  'view',
  'views',
  'viewed',
  'pageview',
  'pageviews',
  'visited',
  'impression',
  'impressions',
]);

const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** `order_placed` yes; `orderPlaced`, `Order_Placed`, `order__placed` no: the form Spotzee's guide asks for. */
export function isSnakeCase(name: string): boolean {
  return SNAKE_CASE.test(name);
}

/** `pageViewed`, `page-viewed` → `page_viewed`. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function looksLikeView(name: string): boolean {
  const parts = words(name);
  const last = parts.at(-1);
  return last !== undefined && VIEW_WORDS.has(last);
}

function viewLikeNameWarning(name: string, where: readonly string[]): string {
  return (
    `Event "${name}" (${where.join(', ')}) looks like a page view. Spotzee's guide: backend events are domain ` +
    'transitions (an order placed, a subscription renewed); views belong to browser-side tracking, which knows ' +
    "the page and the visitor. Rename it if it is a state change, or set eventNames: 'off' to silence name checks."
  );
}

/** Groups of two or more names that are the same once case and separators are ignored. */
function nearDuplicateNames(names: Iterable<string>): string[][] {
  const groups = new Map<string, Set<string>>();
  for (const name of names) {
    const key = words(name).join('');
    const group = groups.get(key) ?? new Set<string>();
    group.add(name);
    groups.set(key, group);
  }
  return [...groups.values()].filter((group) => group.size > 1).map((group) => [...group].sort());
}

function nearDuplicateWarning(group: readonly string[], uses: NameUses): string {
  const described = group.map((name) => `"${name}" (${(uses.get(name) ?? []).join(', ') || 'catalogue'})`);
  return (
    `Event names ${described.join(' and ')} differ only by case or separators. Spotzee counts them as different ` +
    'events, so journeys and segments built on one never see the other. Pick one spelling.'
  );
}

/** Every pitfall warning for a set of names and where they are used. */
export function findNamePitfalls(uses: NameUses): string[] {
  const warnings: string[] = [];
  for (const [name, where] of uses) {
    if (looksLikeView(name)) warnings.push(viewLikeNameWarning(name, where));
  }
  for (const group of nearDuplicateNames(uses.keys())) {
    warnings.push(nearDuplicateWarning(group, uses));
  }
  return warnings;
}
