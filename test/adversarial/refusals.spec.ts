import { describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.js';
import { AdversarialServer, noContent, problem } from './support/adversarial-server.js';
import type { SeenRequest } from './support/adversarial-server.js';
import { all, expectKeyNowhere, startAdversary, stopAdversariesAfterEach } from './support/adversarial-harness.js';

stopAdversariesAfterEach();

const seqs = (request: SeenRequest) => request.events.map((event) => event.data?.seq);

describe('refusals, halts and splits', () => {
  it('a halt sees recovery although Spotzee replays the stored refusal of its key for 24 h', async () => {
    // Spotzee's idempotency memory: the first answer per key is stored and replayed for that key.
    let paid = false;
    const stored = new Map<string, number>();
    const adversary = await startAdversary((request, res) => {
      const key = request.idempotencyKey!;
      const replay = stored.get(key);
      if (replay !== undefined) {
        return problem(res, replay, { code: 'payment_required' }, { 'idempotent-replayed': 'true' });
      }
      if (!paid) {
        stored.set(key, 402);
        return problem(res, 402, { code: 'payment_required', message: 'The invoice is overdue.' });
      }
      noContent(res);
    });
    adversary.capture(3);
    await expect(adversary.engine.flush()).resolves.toBe(false);
    expect(adversary.engine.health()).toMatchObject({ halted: true, lastError: { status: 402 } });
    paid = true;
    await eventually(() => adversary.engine.stats().delivered === 3, 'delivery after the invoice was paid');
    expect(adversary.fates()).toEqual(all(3, 'delivered'));
    const [first, probe, rekeyed] = adversary.server.requests;
    // The probe under the old key gets the replay; the same bytes under a new key get the real answer.
    expect(adversary.server.requests).toHaveLength(3);
    expect(probe!.idempotencyKey).toBe(first!.idempotencyKey);
    expect(rekeyed!.idempotencyKey).not.toBe(first!.idempotencyKey);
    expect(rekeyed!.body).toBe(first!.body);
    expect(adversary.logger.messages('error')).toEqual([
      expect.stringMatching(/^Spotzee delivery HALTED: Spotzee refused the request for billing reasons/),
    ]);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(
        /^Spotzee replayed a stored refusal for batch spz_\S+ \(Idempotent-Replayed: true\): probing again under the new key spz_\S+/,
      ),
    ]);
    expect(adversary.logger.matching(/delivery resumed/)).toHaveLength(1);
    expect(adversary.engine.health()).toMatchObject({ healthy: true, halted: false });
    expectKeyNowhere(adversary);
  });

  it('a server that replays every refusal does not make the probes spin', async () => {
    const adversary = await startAdversary(
      (_request, res) => problem(res, 403, { code: 'permission_denied' }, { 'idempotent-replayed': 'true' }),
      { haltProbeIntervalMs: 60_000 },
    );
    adversary.capture(2);
    await adversary.engine.flush();
    // The first answer and one immediate probe under a new key; the next waits the full interval.
    await eventually(() => adversary.server.requests.length >= 2, 'the immediate probe');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(adversary.server.requests).toHaveLength(2);
    expect(adversary.fates()).toEqual(all(2, 'pending'));
  });

  it.each<[string, Record<string, unknown>]>([
    ['idempotency_key_invalid', { code: 'idempotency_key_invalid', param: 'Idempotency-Key' }],
    ['version_required', { code: 'version_required' }],
    ['parameter_invalid_format on a header', { code: 'parameter_invalid_format', param: 'Spotzee-Version' }],
  ])('a request-level 400 (%s) halts after one request instead of splitting 100 events', async (_label, fields) => {
    const adversary = await startAdversary((_request, res) => problem(res, 400, fields), {
      haltProbeIntervalMs: 60_000,
    });
    adversary.capture(100);
    await expect(adversary.engine.flush()).resolves.toBe(false);
    expect(adversary.fates()).toEqual(all(100, 'pending'));
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.engine.health()).toMatchObject({ halted: true, lastError: { status: 400, code: fields.code } });
    expect(adversary.logger.messages('warn')).toEqual([]);
    expect(adversary.logger.messages('error')).toEqual([expect.stringMatching(/^Spotzee delivery HALTED: /)]);
  });

  it('a 422 naming no item is split down to the bad events, with one summary line for the batch', async () => {
    const bad = new Set([2, 5]);
    const adversary = await startAdversary((request, res) =>
      seqs(request).some((seq) => bad.has(seq!))
        ? problem(res, 422, { code: 'validation_failed', message: 'Some events are invalid.' })
        : noContent(res),
    );
    adversary.capture(8);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual([
      'delivered',
      'delivered',
      'rejected:server_rejected',
      'delivered',
      'delivered',
      'rejected:server_rejected',
      'delivered',
      'delivered',
    ]);
    // 8 → 4+4 → 2+2+2+2 → the two refused pairs in singles.
    expect(adversary.server.requests).toHaveLength(11);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(
        /^Spotzee refused batch spz_\S+ \(8 events\) without naming events; splitting it took 10 more requests and rejected 2 of them: .*HTTP 422 validation_failed "Some events are invalid\."/,
      ),
    ]);
    expectKeyNowhere(adversary);
  });

  it('a redirect is not followed, sends no Authorization elsewhere, and halts', async () => {
    const elsewhere = await AdversarialServer.start((_request, res) => noContent(res));
    const location = `${elsewhere.baseUrl}/events`;
    try {
      const adversary = await startAdversary(
        (_request, res) => {
          res.writeHead(302, { location });
          res.end();
        },
        { haltProbeIntervalMs: 60_000 },
      );
      adversary.capture(2);
      await adversary.engine.flush();
      expect(adversary.fates()).toEqual(all(2, 'pending'));
      expect(adversary.server.requests).toHaveLength(1);
      expect(elsewhere.requests).toHaveLength(0);
      expect(adversary.engine.health()).toMatchObject({ halted: true, lastError: { status: 302 } });
      expect(adversary.logger.messages('error')).toEqual([
        expect.stringMatching(/^Spotzee delivery HALTED: Check baseUrl/),
      ]);
      expectKeyNowhere(adversary);
    } finally {
      await elsewhere.close();
    }
  });

  it('an early 413 (answered before the body was read) splits until the batches fit', async () => {
    const adversary = await startAdversary(
      (request, res) => {
        if (Number(request.headers['content-length']) > 1200) {
          res.writeHead(413, { 'content-type': 'application/problem+json', connection: 'close' });
          res.end('{"code":"payload_too_large"}');
        } else {
          noContent(res);
        }
      },
      {},
      { beforeBody: true },
    );
    adversary.capture(20);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(20, 'delivered'));
    const tooLarge = adversary.server.requests.filter((r) => Number(r.headers['content-length']) > 1200);
    // 20 events (~1.6 KB) → two halves that fit: one refused request, two accepted.
    expect(tooLarge).toHaveLength(1);
    expect(adversary.server.requests).toHaveLength(3);
    expect(adversary.logger.messages('warn')).toEqual([]);
    expectKeyNowhere(adversary);
  });

  it('slow-loris: a server that never sends a status line times out and the batch is retried', async () => {
    let answered = 0;
    const adversary = await startAdversary(
      (_request, res) => {
        if (++answered === 1) return; // accept, read, and say nothing
        noContent(res);
      },
      { requestTimeoutMs: 200 },
    );
    adversary.capture(2);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(2, 'delivered'));
    expect(adversary.server.requests).toHaveLength(2);
    expect(adversary.server.requests[1]!.idempotencyKey).toBe(adversary.server.requests[0]!.idempotencyKey);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(
        /failed: no response \(SPOTZEE_REQUEST_TIMEOUT: no answer within requestTimeoutMs \(200 ms\)\), attempt 1\/3/,
      ),
    ]);
  });

  it('a 10 MB 503 body is read only up to maxResponseBytes; the status decides (retry)', async () => {
    let answered = 0;
    const adversary = await startAdversary((_request, res) => {
      if (++answered > 1) return noContent(res);
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end(`<html>${'x'.repeat(10 * 1024 * 1024)}</html>`);
    });
    adversary.capture(1);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(['delivered']);
    expect(adversary.server.requests).toHaveLength(2);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(/HTTP 503 no code .*attempt 1\/3; retrying/),
    ]);
  });

  it('a 409 idempotency_key_mismatch rejects the batch, never resends it, and logs an error', async () => {
    const adversary = await startAdversary((_request, res) =>
      problem(res, 409, { code: 'idempotency_key_mismatch', param: 'Idempotency-Key' }),
    );
    adversary.capture(2);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(2, 'rejected:idempotency_key_mismatch'));
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.messages('error')).toEqual([expect.stringMatching(/409 idempotency_key_mismatch/)]);
    expectKeyNowhere(adversary);
  });

  it('any other 4xx (410) rejects the batch without a retry, in one log line', async () => {
    const adversary = await startAdversary((_request, res) => problem(res, 410, { code: 'gone' }));
    adversary.capture(3);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(3, 'rejected:server_rejected'));
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.logger.messages('warn')).toEqual([
      expect.stringMatching(/^Spotzee refused batch spz_\S+: HTTP 410 gone/),
    ]);
    expectKeyNowhere(adversary);
  });
});
