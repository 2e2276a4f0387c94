import { describe, expect, it } from '@jest/globals';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { SILENT_LOGGER } from '../../lib/delivery/index.js';
import { SpotzeeModule, SpotzeeTracker } from '../../lib/index.js';
import { startApp } from '../support/loopback-app.js';
import { suiteEmulator } from '../support/suite-emulator.js';

describe('SpotzeeTracker.flush({ timeoutMs })', () => {
  const emulator = suiteEmulator();

  it('stops waiting at the deadline while the server is unreachable, then resolves true once delivered', async () => {
    const { app } = await startApp({
      imports: [
        SpotzeeModule.forRoot({
          apiKey: EMULATOR_API_KEY,
          baseUrl: emulator().baseUrl,
          logger: SILENT_LOGGER,
          retryBaseMs: 20,
          retryMaxMs: 50,
        }),
      ],
    });
    try {
      const tracker = app.get(SpotzeeTracker);
      await emulator().down();
      tracker.track('order_placed', { externalId: 'user_1', data: { order_id: 'ord_1' } });

      expect(await tracker.flush({ timeoutMs: 100 })).toBe(false);
      expect(tracker.stats()).toMatchObject({ captured: 1, delivered: 0, pending: 1 });

      await emulator().up();
      expect(await tracker.flush()).toBe(true);
      expect(tracker.stats()).toMatchObject({ captured: 1, delivered: 1, pending: 0 });
      expect(emulator().events.map(({ event }) => event.name)).toEqual(['order_placed']);
    } finally {
      await app.close();
    }
  });

  it('refuses a timeout that is not a finite number of ms, saying what it expects', async () => {
    const { app } = await startApp({
      imports: [
        SpotzeeModule.forRoot({ apiKey: EMULATOR_API_KEY, baseUrl: emulator().baseUrl, logger: SILENT_LOGGER }),
      ],
    });
    try {
      await expect(app.get(SpotzeeTracker).flush({ timeoutMs: -1 })).rejects.toThrow(
        /flush\(\{ timeoutMs \}\) expects a finite number of ms ≥ 0, got -1/,
      );
    } finally {
      await app.close();
    }
  });
});
