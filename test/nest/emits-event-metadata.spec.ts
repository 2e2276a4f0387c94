import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { EmitsEvent } from '../../lib/index.js';
import { EmitsEventMetadataAccessor } from '../../lib/emits-event.metadata.js';

class OrdersController {
  @EmitsEvent('order_placed')
  place(): void {}

  @EmitsEvent('order_paid')
  @EmitsEvent('invoice_sent')
  pay(): void {}

  plain(): void {}
}

describe('EmitsEventMetadataAccessor', () => {
  const proto = OrdersController.prototype;

  it('reads the @EmitsEvent definitions of a handler, one per decorator', () => {
    const accessor = new EmitsEventMetadataAccessor();
    expect(accessor.getDefinitions(proto.place).map((definition) => definition.name)).toEqual(['order_placed']);
    expect(
      accessor
        .getDefinitions(proto.pay)
        .map((definition) => definition.name)
        .sort(),
    ).toEqual(['invoice_sent', 'order_paid']);
  });

  it('answers no definitions for an undecorated handler, a missing one, or a non-function', () => {
    const accessor = new EmitsEventMetadataAccessor();
    expect(accessor.getDefinitions(proto.plain)).toEqual([]);
    expect(accessor.getDefinitions(undefined)).toEqual([]);
    expect(accessor.getDefinitions({})).toEqual([]);
    expect(Object.isFrozen(accessor.getDefinitions(proto.plain))).toBe(true);
  });

  it('gives the same answer on every request for a handler', () => {
    const accessor = new EmitsEventMetadataAccessor();
    const first = accessor.getDefinitions(proto.place);
    expect(accessor.getDefinitions(proto.place)).toBe(first);
    expect(accessor.getDefinitions(proto.plain)).toBe(accessor.getDefinitions(proto.plain));
  });
});
