import type { SpotzeeEmulator } from 'nestjs-spotzee/emulator';

export const SECRET_KEY = 'sk_test_5f1c0ffee0ddba11';
export const VERSION = '2026-04-28';

export interface PostOptions {
  headers?: Record<string, string>;
  /** Drop these default headers. */
  without?: Array<'authorization' | 'content-type' | 'spotzee-version'>;
  key?: string;
  idempotencyKey?: string;
  method?: string;
  path?: string;
  signal?: AbortSignal;
}

/** One real HTTP request to the emulator with global fetch; bodies that are not strings are JSON-encoded. */
export function post(emulator: SpotzeeEmulator, body: unknown, options: PostOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.key ?? SECRET_KEY}`,
    'content-type': 'application/json',
    'spotzee-version': VERSION,
  };
  for (const name of options.without ?? []) delete headers[name];
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  Object.assign(headers, options.headers);
  const method = options.method ?? 'POST';
  const init: RequestInit = { method, headers };
  if (options.signal !== undefined) init.signal = options.signal;
  if (method !== 'GET' && method !== 'HEAD') init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const url = options.path === undefined ? emulator.eventsUrl : `http://127.0.0.1:${emulator.port}${options.path}`;
  return fetch(url, init);
}

/** A valid wire event, with overrides. */
export function wireEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'order_placed',
    external_id: 'user_42',
    anonymous_id: null,
    data: { order_id: 'ord_1', total: 42.5, currency: 'EUR' },
    user: { email: 'ada@example.com' },
    created_at: '2026-04-28T09:30:00.000Z',
    ...overrides,
  };
}

export async function problemOf(response: Response): Promise<Record<string, any>> {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, any>;
}

/** Resolves with the error `fetch` rejected with (connection reset, refused…), or fails if it answered. */
export async function networkError(request: Promise<Response>): Promise<Error & { cause?: any }> {
  try {
    const response = await request;
    throw new Error(`expected a network error, got HTTP ${response.status}`);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('expected a network error')) throw error;
    return error as Error & { cause?: any };
  }
}
