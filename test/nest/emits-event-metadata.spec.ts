import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { EmitsEvent } from '../../lib/index.js';
import { emitsEventDefinitions } from '../../lib/emits-event.metadata.js';

class OrdersController {
  @EmitsEvent('order_placed')
  place(): void {}

  @EmitsEvent('order_paid')
  @EmitsEvent('invoice_sent')
  pay(): void {}

  plain(): void {}
}

describe('emitsEventDefinitions', () => {
  const proto = OrdersController.prototype;

  it('reads the @EmitsEvent definitions of a handler, one per decorator', () => {
    expect(emitsEventDefinitions(proto.place).map((definition) => definition.name)).toEqual(['order_placed']);
    expect(
      emitsEventDefinitions(proto.pay)
        .map((definition) => definition.name)
        .sort(),
    ).toEqual(['invoice_sent', 'order_paid']);
  });

  it('answers no definitions for an undecorated handler, a missing one, or a non-function', () => {
    expect(emitsEventDefinitions(proto.plain)).toEqual([]);
    expect(emitsEventDefinitions(undefined)).toEqual([]);
    expect(emitsEventDefinitions({})).toEqual([]);
    expect(Object.isFrozen(emitsEventDefinitions(proto.plain))).toBe(true);
  });

  it('gives the same answer on every request for a handler', () => {
    const first = emitsEventDefinitions(proto.place);
    expect(emitsEventDefinitions(proto.place)).toBe(first);
    expect(emitsEventDefinitions(proto.plain)).toBe(emitsEventDefinitions(proto.plain));
  });
});
