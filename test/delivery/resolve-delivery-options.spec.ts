import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_DELIVERY_OPTIONS,
  DeliveryEngine,
  SpotzeeConfigurationError,
  resolveDeliveryOptions,
} from '../../lib/delivery/index.js';
import type { DeliveryOptions } from '../../lib/delivery/index.js';
import { RecordingLogger } from '../support/recording-logger.js';

const KEY = 'sk_live_9f8e7d6c5b4a3210';

function failure(options: DeliveryOptions): SpotzeeConfigurationError {
  try {
    resolveDeliveryOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(SpotzeeConfigurationError);
    return error as SpotzeeConfigurationError;
  }
  throw new Error('expected a SpotzeeConfigurationError');
}

describe('resolveDeliveryOptions', () => {
  it('applies the documented defaults and never exposes the key', () => {
    const resolved = resolveDeliveryOptions({ apiKey: KEY });
    expect(resolved).toMatchObject({ ...DEFAULT_DELIVERY_OPTIONS, hasApiKey: true });
    expect(resolved.baseUrl).toBe('https://apix.spotzee.com/api/client');
    expect(resolved.apiVersion).toBe('2026-04-28');
    expect(JSON.stringify(resolved)).not.toContain(KEY);
    expect(Object.keys(resolved)).not.toContain('apiKey');
  });

  it('normalises the base URL and allows http only on loopback', () => {
    expect(resolveDeliveryOptions({ apiKey: KEY, baseUrl: 'https://eu.example.com/api/client///' }).baseUrl).toBe(
      'https://eu.example.com/api/client',
    );
    for (const host of ['127.0.0.1:4010', 'localhost:4010', '[::1]:4010', '127.1.2.3']) {
      expect(resolveDeliveryOptions({ apiKey: KEY, baseUrl: `http://${host}/api/client` }).baseUrl).toBe(
        `http://${host}/api/client`,
      );
    }
  });

  it.each<[string, DeliveryOptions, string, RegExp]>([
    ['missing key', {}, 'apiKey', /missing.*SPOTZEE_API_KEY.*dryRun: true/],
    ['publishable key', { apiKey: 'pk_live_abcdef123456' }, 'apiKey', /publishable key \(pk_…\).*secret key \(sk_…\)/],
    ['key with a newline', { apiKey: `${KEY}\n` }, 'apiKey', /whitespace or control characters.*trailing newline/],
    ['non-string key', { apiKey: 42 as unknown as string }, 'apiKey', /expected a string/],
    ['malformed URL', { apiKey: KEY, baseUrl: 'apix.spotzee.com' }, 'baseUrl', /not an absolute URL/],
    [
      'http on a public host',
      { apiKey: KEY, baseUrl: 'http://apix.spotzee.com/api/client' },
      'baseUrl',
      /must use https for apix\.spotzee\.com.*clear text.*loopback/,
    ],
    ['ftp', { apiKey: KEY, baseUrl: 'ftp://example.com' }, 'baseUrl', /must use https/],
    ['credentials in URL', { apiKey: KEY, baseUrl: 'https://user:pw@example.com' }, 'baseUrl', /credentials/],
    ['query string', { apiKey: KEY, baseUrl: 'https://example.com/api?x=1' }, 'baseUrl', /query string/],
    ['control chars in URL', { apiKey: KEY, baseUrl: 'https://example.com/\r\nX: 1' }, 'baseUrl', /control characters/],
    ['bad version', { apiKey: KEY, apiVersion: 'latest' }, 'apiVersion', /YYYY-MM-DD/],
    [
      'batch over 100',
      { apiKey: KEY, maxBatchEvents: 101 },
      'maxBatchEvents',
      /1 to 100.*at most 100 events per request.*got 101/,
    ],
    ['zero in flight', { apiKey: KEY, maxInFlight: 0 }, 'maxInFlight', /from 1 to 64/],
    ['fractional attempts', { apiKey: KEY, maxAttempts: 2.5 }, 'maxAttempts', /integer/],
    [
      'retry budget past the idempotency window',
      { apiKey: KEY, retryForMs: 25 * 3600_000 },
      'retryForMs',
      /from 0 to 86400000 \(how long a batch retries transient failures, in ms; within Spotzee's 24 h idempotency window\)/,
    ],
    ['NaN timeout', { apiKey: KEY, requestTimeoutMs: Number.NaN }, 'requestTimeoutMs', /integer/],
    [
      'event larger than batch',
      { apiKey: KEY, maxBatchBytes: 4096, maxEventBytes: 8192 },
      'maxEventBytes',
      /maxBatchBytes - 2/,
    ],
    ['queue smaller than an event', { apiKey: KEY, maxQueueBytes: 10 }, 'maxQueueBytes', /at least maxEventBytes/],
    ['retry cap under base', { apiKey: KEY, retryBaseMs: 500, retryMaxMs: 100 }, 'retryMaxMs', /at least retryBaseMs/],
    ['unknown overflow', { apiKey: KEY, overflow: 'block' as never }, 'overflow', /drop-newest.*drop-oldest/],
    ['logger without methods', { apiKey: KEY, logger: {} as never }, 'logger', /log, warn and error/],
  ])('%s → a how-to-fix error', (_label, options, option, message) => {
    const error = failure(options);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^Invalid Spotzee option /);
  });

  it('dry run needs no key', () => {
    expect(resolveDeliveryOptions({ dryRun: true }).hasApiKey).toBe(false);
  });

  it('never puts the key in an error message, even when the key itself is the problem', () => {
    for (const apiKey of [`${KEY} `, `pk_${KEY.slice(3)}`, `${KEY}\u0000`]) {
      expect(() => new DeliveryEngine({ apiKey })).toThrow(SpotzeeConfigurationError);
      try {
        new DeliveryEngine({ apiKey });
      } catch (error) {
        expect(String((error as Error).message)).not.toContain(KEY.slice(3));
        expect(String((error as Error).stack)).not.toContain(KEY.slice(3));
      }
    }
    // A key pasted into the URL by mistake is scrubbed from the message too.
    try {
      new DeliveryEngine({ apiKey: KEY, baseUrl: `http://example.com/${KEY}` });
      throw new Error('expected failure');
    } catch (error) {
      expect((error as Error).message).not.toContain(KEY);
    }
  });

  it('warns about a key that does not look like a secret key, without printing it', () => {
    const logger = new RecordingLogger();
    const engine = new DeliveryEngine({ apiKey: 'custom_4c3b2a19', logger });
    expect(logger.messages('warn')).toEqual([expect.stringMatching(/does not start with sk_/)]);
    expect(JSON.stringify(logger.lines)).not.toContain('custom_4c3b2a19');
    expect(JSON.stringify(engine.options)).not.toContain('custom_4c3b2a19');
    return engine.close();
  });
});
