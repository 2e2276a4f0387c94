/**
 * Your event catalogue, declared once by declaration merging:
 *
 * ```ts
 * declare module 'nestjs-spotzee' {
 *   interface SpotzeeEvents {
 *     /** A customer placed an order. *\/
 *     order_placed: { order_id: string; total: number; currency: string };
 *     signed_up: { method: 'email' | 'google' };
 *   }
 * }
 * ```
 *
 * From then on `@EmitsEvent()` and `SpotzeeTracker.track()` accept only these names, and their `data`
 * must have this shape. Left empty (the default), every name and any `data` object are accepted.
 * Each property is one event: its key is the event name, its type is the event's `data`. JSDoc on
 * the events and their fields becomes the descriptions of `npx nestjs-spotzee catalog --markdown`.
 */
// Empty on purpose: applications add the members.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SpotzeeEvents {}

/** True once the application declared at least one event. */
export type SpotzeeCatalogueDeclared = [keyof SpotzeeEvents] extends [never] ? false : true;

/** The event names `track()` and `@EmitsEvent()` accept: any string until a catalogue is declared. */
export type SpotzeeEventName = SpotzeeCatalogueDeclared extends true ? Extract<keyof SpotzeeEvents, string> : string;

/** The `data` of an event: its catalogue entry, or any object when the name is not declared. */
export type SpotzeeEventData<TName extends string = string> = TName extends keyof SpotzeeEvents
  ? SpotzeeEvents[TName]
  : Record<string, unknown>;

/**
 * Whether `data` must be given: only for a declared event with at least one required field. An event
 * declared as `{}` or with only optional fields may omit it.
 */
export type SpotzeeEventDataRequired<TName extends string> = SpotzeeCatalogueDeclared extends false
  ? false
  : // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    {} extends SpotzeeEventData<TName>
    ? false
    : true;
