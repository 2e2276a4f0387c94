import { describe, expect, it } from '@jest/globals';
import { resolveDeliveryOptions } from '../../lib/delivery/resolve-delivery-options.js';
import { LIBRARY_VERSION } from '../../lib/delivery/version.js';
import { describeStartup } from '../../lib/spotzee-startup.js';

const real = resolveDeliveryOptions({ apiKey: 'sk_live_abc' });
const emulator = resolveDeliveryOptions({ apiKey: 'sk_test_emulator', baseUrl: 'http://127.0.0.1:4010/api/client' });
const dry = resolveDeliveryOptions({ dryRun: true });

describe('the start-up report', () => {
  it('says in one line where events go, the version, the store and how many handlers emit', () => {
    expect(describeStartup(real, 3, 'MemoryEventQueue', 'on', {}, 1).startupLine).toBe(
      `Spotzee ready (nestjs-spotzee ${LIBRARY_VERSION}): sending to apix.spotzee.com, API 2026-04-28, queue MemoryEventQueue, 3 @EmitsEvent handlers, request contexts on.`,
    );
    expect(describeStartup(dry, 1, 'MemoryEventQueue', 'on', {}, 1).startupLine).toContain(
      'dry run: nothing is sent, API 2026-04-28, queue MemoryEventQueue, 1 @EmitsEvent handler, request contexts on.',
    );
  });

  it('warns when a test runner runs the app with a key that reaches Spotzee, not under the emulator or a dry run', () => {
    const jest = { JEST_WORKER_ID: '1' };
    expect(describeStartup(real, 0, 'MemoryEventQueue', 'on', jest, 0).startupWarnings).toEqual([
      'A test runner is running this app with a Spotzee key that sends to apix.spotzee.com: these tests send real events. ' +
        'Use SpotzeeTestingModule from nestjs-spotzee/testing, or point baseUrl at the emulator (npx nestjs-spotzee emulator).',
    ]);
    expect(describeStartup(real, 0, 'MemoryEventQueue', 'on', { VITEST: 'true' }, 0).startupWarnings).toHaveLength(1);
    expect(describeStartup(emulator, 0, 'MemoryEventQueue', 'on', jest, 0).startupWarnings).toEqual([]);
    expect(describeStartup(dry, 0, 'MemoryEventQueue', 'on', jest, 0).startupWarnings).toEqual([]);
  });

  it('warns outside tests when no SIGTERM handler will drain the queue', () => {
    expect(describeStartup(real, 0, 'MemoryEventQueue', 'on', {}, 0).startupWarnings).toEqual([
      'No shutdown hooks are enabled: a SIGTERM (a deploy, a scale-down) ends the process without draining queued Spotzee events. ' +
        'Call app.enableShutdownHooks() in main.ts before app.listen().',
    ]);
    expect(describeStartup(real, 0, 'MemoryEventQueue', 'on', {}, 1).startupWarnings).toEqual([]);
  });
});
