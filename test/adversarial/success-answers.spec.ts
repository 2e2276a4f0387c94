import { describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.js';
import { noContent } from './support/adversarial-server.js';
import { all, expectKeyNowhere, startAdversary, stopAdversariesAfterEach } from './support/adversarial-harness.js';

stopAdversariesAfterEach();

/**
 * What a 2xx can look like when it does not come as Spotzee's documented empty 204. Each test asserts
 * every event's outcome, the request count, what was logged, and that the key shows nowhere.
 */
describe('2xx answers', () => {
  it.each([200, 207])(
    '%i with per-item results rejects exactly the failed items; the rest is delivered, never resent',
    async (status) => {
      const adversary = await startAdversary((request, res) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req_items' });
        res.end(
          JSON.stringify({
            results: request.events.map((_, index) =>
              index === 1 || index === 3
                ? { index, error: { code: 'invalid_value', message: `item ${index} is not acceptable` } }
                : { index },
            ),
            succeeded: request.events.length - 2,
            failed: 2,
          }),
        );
      });
      adversary.capture(5);
      await expect(adversary.engine.flush()).resolves.toBe(true);
      expect(adversary.fates()).toEqual([
        'delivered',
        'rejected:server_rejected',
        'delivered',
        'rejected:server_rejected',
        'delivered',
      ]);
      expect(adversary.outcomes.filter((o) => o.outcome === 'rejected')).toEqual([
        expect.objectContaining({
          code: 'invalid_value',
          requestId: 'req_items',
          message: expect.stringMatching(/item 1 is not acceptable/),
        }),
        expect.objectContaining({
          code: 'invalid_value',
          requestId: 'req_items',
          message: expect.stringMatching(/item 3 is not acceptable/),
        }),
      ]);
      expect(adversary.server.requests).toHaveLength(1);
      expect(adversary.logger.messages('warn')).toEqual([
        expect.stringMatching(
          /^Spotzee rejected 2 of 5 events in batch spz_\S+ \(HTTP \d+ no code, request_id req_items\): #1 .*; #3 .*\.$/,
        ),
      ]);
      expect(adversary.logger.messages('warn')[0]).not.toMatch(/Resending/);
      expectKeyNowhere(adversary);
    },
  );

  it.each([
    ['204, no body', 204, undefined, ''],
    ['200 with an empty body', 200, undefined, ''],
    ['200 with {}', 200, 'application/json', '{}'],
    ['200 with results and no errors', 200, 'application/json', '{"results":[{"index":0},{"index":1}],"failed":0}'],
    ['202 with an array', 202, 'application/json', '[1,2]'],
  ])('%s: delivered', async (_label, status, contentType, body) => {
    const adversary = await startAdversary((_request, res) => {
      res.writeHead(status, contentType === undefined ? {} : { 'content-type': contentType });
      res.end(body);
    });
    adversary.capture(2);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(2, 'delivered'));
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.messages().filter((line) => !line.startsWith('Delivered batch'))).toEqual([]);
    expectKeyNowhere(adversary);
  });

  it('200 text/html (a login page, a wrong baseUrl) halts as a configuration problem, then recovers', async () => {
    const adversary = await startAdversary((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Sign in</title><form action="/login"></form>');
    });
    adversary.capture(3);
    await expect(adversary.engine.flush()).resolves.toBe(false);
    expect(adversary.fates()).toEqual(all(3, 'pending'));
    const health = adversary.engine.health();
    expect(health).toMatchObject({ healthy: false, halted: true, lastError: { status: 200 } });
    expect(health.lastError!.message).toMatch(
      /^Something other than Spotzee's API answered at http:\/\/127\.0\.0\.1:\d+\/api\/client\/events .*check baseUrl .* HTTP 200 with a text\/html; charset=utf-8 body instead of Spotzee's JSON/,
    );
    expect(adversary.logger.messages('error')).toEqual([
      expect.stringMatching(/^Spotzee delivery HALTED: Something other than Spotzee's API/),
    ]);

    // The proxy is gone: the next probe is answered by Spotzee, with the same bytes and the same key.
    adversary.server.answerWith((_request, res) => noContent(res));
    await eventually(() => adversary.engine.stats().delivered === 3, 'the probe after the fix');
    expect(adversary.fates()).toEqual(all(3, 'delivered'));
    expect(adversary.server.requests).toHaveLength(2);
    expect(adversary.server.requests[1]!.body).toBe(adversary.server.requests[0]!.body);
    expect(adversary.server.requests[1]!.idempotencyKey).toBe(adversary.server.requests[0]!.idempotencyKey);
    expect(adversary.logger.matching(/delivery resumed/)).toHaveLength(1);
    expectKeyNowhere(adversary);
  });

  it('a 2xx whose body never ends settles the batch: delivered, never resent', async () => {
    const adversary = await startAdversary(
      (_request, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_endless' });
        res.write('{"results":[');
        // …and nothing more, ever.
      },
      { requestTimeoutMs: 300, maxAttempts: 5 },
    );
    adversary.capture(4);
    await expect(adversary.engine.flush()).resolves.toBe(true);
    expect(adversary.fates()).toEqual(all(4, 'delivered'));
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(
        /^Spotzee accepted batch spz_\S+ \(HTTP 200, request_id req_endless\) but its answer did not finish in time: counted as delivered/,
      ),
    ]);
    expectKeyNowhere(adversary);
  });

  it('a 2xx whose body trickles in is read to its end and delivered once', async () => {
    const adversary = await startAdversary((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const parts = ['{"res', 'ults":', '[{"ind', 'ex":0}]', '}'];
      const timer = setInterval(() => {
        const part = parts.shift();
        if (part === undefined) {
          clearInterval(timer);
          res.end();
        } else res.write(part);
      }, 20);
    });
    adversary.capture(1);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(['delivered']);
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.messages('warn')).toEqual([]);
    expectKeyNowhere(adversary);
  });

  it('a 10 MB JSON 2xx is read only up to maxResponseBytes and still delivers', async () => {
    const adversary = await startAdversary((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"padding":"${'x'.repeat(10 * 1024 * 1024)}"}`);
    });
    adversary.capture(2);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(2, 'delivered'));
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(/was longer than maxResponseBytes: counted as delivered/),
    ]);
  });

  it('a 10 MB HTML 2xx halts (not Spotzee), reading no more than maxResponseBytes', async () => {
    const adversary = await startAdversary((_request, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html>${'<p>portal</p>'.repeat(900_000)}</html>`);
    });
    adversary.capture(2);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(2, 'pending'));
    expect(adversary.engine.health()).toMatchObject({ halted: true, lastError: { status: 200 } });
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.matching(/HALTED/)).toHaveLength(1);
  });

  it('an HTTP/1.0 answer that ends by closing the connection is delivered', async () => {
    const adversary = await startAdversary((_request, _res, socket) => {
      socket.end('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: req_http10\r\n\r\n{"ok":true}');
    });
    adversary.capture(3);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(3, 'delivered'));
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.messages().filter((line) => !line.startsWith('Delivered batch'))).toEqual([]);
  });

  it('a replayed 2xx (Idempotent-Replayed: true) is delivered and reported as a replay', async () => {
    const adversary = await startAdversary((_request, res) => noContent(res, { 'idempotent-replayed': 'true' }));
    adversary.capture(2);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(2, 'delivered'));
    expect(adversary.outcomes).toEqual(all(2, expect.objectContaining({ replayed: true }) as never));
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.messages('warn')).toEqual([]);
  });
});
