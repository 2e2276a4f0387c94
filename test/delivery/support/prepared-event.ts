import { prepareEvent, type PreparedEvent } from '../../../lib/delivery/index.js';

/** A valid prepared event for unit tests of the parts that consume one; throws if the overrides are invalid. */
export function preparedEvent(overrides: Record<string, unknown> = {}): PreparedEvent {
  const result = prepareEvent(
    { name: 'order_placed', externalId: 'u1', ...overrides },
    { maxNameLength: 255, maxEventBytes: 65536 },
  );
  if (!result.ok) throw new Error(result.rejection.message);
  return result.event;
}
