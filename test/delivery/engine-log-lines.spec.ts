import { describe, expect, it } from '@jest/globals';
import { DeliveryEngine } from '../../lib/delivery/index.js';
import { RecordingLogger } from '../support/recording-logger.js';

/** What an operator reads: the lines a dry-run engine writes from start to shutdown. */
describe('engine log lines', () => {
  function dryRunEngine(): { engine: DeliveryEngine; logger: RecordingLogger } {
    const logger = new RecordingLogger();
    const engine = new DeliveryEngine({ dryRun: true, logger, flushIntervalMs: 1 });
    engine.start();
    return { engine, logger };
  }

  it('a dry run never says "delivered": its shutdown line says what it accepted, with lifetime totals', async () => {
    const { engine, logger } = dryRunEngine();
    for (let i = 0; i < 3; i++) {
      const prepared = engine.prepare({ name: 'order_placed', externalId: 'u1' });
      if (prepared.ok) engine.commit([prepared.event]);
    }
    await engine.flush();
    engine.prepare({ name: 'order_placed' }); // no contact: rejected at capture
    await engine.close();
    expect(logger.matching(/deliver/i)).toEqual([]);
    expect(logger.messages('log')).toContainEqual(
      expect.stringMatching(
        /^Spotzee drained in \d+ ms: 0 accepted by the dry run \(not sent\), 0 rejected, 0 dropped\. Since start-up: 4 captured, 3 accepted by the dry run \(not sent\), 1 rejected, 0 dropped\.$/,
      ),
    );
  });

  it('reports repeats of a problem folded into one line at shutdown, not never', async () => {
    const { engine, logger } = dryRunEngine();
    for (let i = 0; i < 6; i++) engine.prepare({ name: 'order_placed', source: 'POST /orders' });
    expect(logger.matching(/neither externalId nor anonymousId/)).toHaveLength(1);
    await engine.close();
    const lines = logger.matching(/neither externalId nor anonymousId/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/\(5 more like it since the last report\)$/);
  });
});
