import { describe, expect, it } from '@jest/globals';
import * as root from '../lib/index.js';
import * as delivery from '../lib/delivery/index.js';

/**
 * Every runtime name the root entry exports is a semver promise. This list is the promise; the README's
 * "Public API" section prints the same list. Adding a name is a deliberate API change: update both.
 */
const ROOT_EXPORTS = [
  'EmitsEvent',
  'EventQueueStore',
  'FileEventStore',
  'InjectSpotzee',
  'MemoryEventQueue',
  'OTHER_EVENT_NAME',
  'SPOTZEE_DELIVERY_SEAMS',
  'SPOTZEE_METRICS',
  'SPOTZEE_TRACKER',
  'SpotzeeConfigurationError',
  'SpotzeeInterceptor',
  'SpotzeeModule',
  'SpotzeeTracker',
];

describe('public API', () => {
  it('the root entry exports exactly the Nest-facing names', () => {
    expect(Object.keys(root).sort()).toEqual(ROOT_EXPORTS);
  });

  it('the root leaves engine internals to nestjs-spotzee/delivery', () => {
    for (const internal of ['prepareEvent', 'batchKey', 'isLoopbackHost', 'DeliveryEngine', 'UndiciTransport']) {
      expect({ internal, inRoot: internal in root }).toEqual({ internal, inRoot: false });
      expect({ internal, inDelivery: internal in delivery }).toEqual({ internal, inDelivery: true });
    }
  });

  it('the root and the delivery entry share one class for the seams a Nest user extends', () => {
    expect(root.EventQueueStore).toBe(delivery.EventQueueStore);
    expect(root.MemoryEventQueue).toBe(delivery.MemoryEventQueue);
    expect(root.SpotzeeConfigurationError).toBe(delivery.SpotzeeConfigurationError);
  });
});
