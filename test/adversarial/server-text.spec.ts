import { describe, expect, it } from '@jest/globals';
import { problem } from './support/adversarial-server.js';
import {
  ADVERSARY_KEY,
  all,
  expectKeyNowhere,
  startAdversary,
  stopAdversariesAfterEach,
} from './support/adversarial-harness.js';

stopAdversariesAfterEach();

const UPPER = ADVERSARY_KEY.toUpperCase();
/** A server (or proxy) echoing the key in every shape it might: raw, upper-cased, inside a bearer token. */
const ECHO = `key ${ADVERSARY_KEY}, KEY ${UPPER}, Authorization: Bearer ${ADVERSARY_KEY}`;

// eslint-disable-next-line no-control-regex -- what must never reach a log line or an outcome raw
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('server text is untrusted', () => {
  it('the key echoed in messages and X-Request-Id never shows, even after retries run out', async () => {
    const adversary = await startAdversary((_request, res) =>
      problem(
        res,
        503,
        { code: 'service_unavailable', message: `upstream said: ${ECHO}`, request_id: UPPER },
        { 'x-request-id': `req_${UPPER}` },
      ),
    );
    adversary.capture(2);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(all(2, 'dropped:retries_exhausted'));
    expect(adversary.server.requests).toHaveLength(3);
    expect(adversary.outcomes[0]).toMatchObject({
      message: expect.stringMatching(
        /upstream said: key \[redacted\], KEY \[redacted\], Authorization: Bearer \[redacted\]/,
      ),
    });
    expect(adversary.engine.health().lastError).toMatchObject({ requestId: 'req_[redacted]' });
    expect(adversary.logger.messages('warn')).toHaveLength(1);
    expect(adversary.logger.messages('error')).toHaveLength(1);
    expectKeyNowhere(adversary);
  });

  it('the key echoed as an item error code and param never shows in rejected outcomes', async () => {
    const adversary = await startAdversary((_request, res) =>
      problem(res, 422, {
        code: 'validation_failed',
        message: ECHO,
        errors: [{ param: `0.${UPPER}`, code: UPPER, message: `bad ${ADVERSARY_KEY}` }],
      }),
    );
    adversary.capture(1);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(['rejected:server_rejected']);
    expect(adversary.server.requests).toHaveLength(1);
    expect(adversary.outcomes[0]).toMatchObject({ code: '[redacted]', param: '[redacted]' });
    expect(adversary.logger.messages('warn')).toHaveLength(1);
    expectKeyNowhere(adversary);
  });

  it('the key echoed as the code of a halt never shows in health() (what the Terminus indicator shows)', async () => {
    const adversary = await startAdversary(
      (_request, res) => problem(res, 401, { code: `bad_key_${ADVERSARY_KEY}`, message: ECHO }),
      { haltProbeIntervalMs: 60_000 },
    );
    adversary.capture(1);
    await adversary.engine.flush();
    expect(adversary.fates()).toEqual(['pending']);
    expect(adversary.engine.health().lastError).toMatchObject({ status: 401, code: 'bad_key_[redacted]' });
    expect(adversary.logger.messages('error')).toHaveLength(1);
    expectKeyNowhere(adversary);
  });

  it('CR/LF, ANSI escapes and C1 controls in server text are escaped, so no log line can be forged', async () => {
    const forged = 'Delivered batch spz_forged (100 events, 1 bytes, attempt 1, request_id none).';
    const adversary = await startAdversary((_request, res, socket) => {
      // Written by hand: node:http would refuse it. The HTTP parser on the client side refuses C0
      // controls in header values, but passes obs-text bytes: 0x9b is a one-byte ANSI CSI.
      const body = JSON.stringify({
        code: 'validation_failed\r\nx',
        message: `bad\r\n${forged}\u001b[2J\u001b[31m red \u009b31m`,
        errors: [{ param: '0.name\n', code: 'invalid\u0007', message: `oops\n${forged}` }],
      });
      const head =
        `HTTP/1.1 422 Unprocessable Entity\r\ncontent-type: application/problem+json\r\n` +
        `x-request-id: req_\u009b2J\u0085red\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
      socket.end(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body, 'utf8')]));
      void res;
    });
    adversary.capture(2);
    await adversary.engine.flush();
    // Item 0 is named each time: rejected, and the other resent alone under a new key, then named too.
    expect(adversary.fates()).toEqual(['rejected:server_rejected', 'rejected:server_rejected']);
    expect(adversary.server.requests).toHaveLength(2);
    const lines = adversary.logger.messages();
    expect(lines.length).toBeGreaterThan(0);
    for (const text of [...lines, ...adversary.outcomes.map((o) => ('message' in o ? o.message : ''))]) {
      expect(text).not.toMatch(RAW_CONTROL);
    }
    expect(lines.filter((line) => line.startsWith('Delivered batch'))).toEqual([]);
    expect(adversary.outcomes[0]).toMatchObject({
      message: expect.stringContaining('oops\\nDelivered batch spz_forged'),
    });
    expect(adversary.outcomes[0]).toMatchObject({ requestId: 'req_\\u009b2J\\u0085red' });
    expect(JSON.stringify(adversary.engine.health())).not.toMatch(RAW_CONTROL);
    expectKeyNowhere(adversary);
  });
});
