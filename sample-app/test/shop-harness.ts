import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SpotzeeTracker, type SpotzeeWireEvent } from 'nestjs-spotzee';
import { SpotzeeEmulator } from 'nestjs-spotzee/emulator';
import { AppModule } from '../src/app.module.js';

/** The key the tests configure; it must reach the emulator and nothing else. */
export const TEST_API_KEY = 'sk_test_sample_app_e2e';

export interface ShopResponse<T = any> {
  status: number;
  body: T;
}

/** The sample app on a loopback port, configured through env vars like in production, sending to an emulator. */
export class ShopUnderTest {
  private constructor(
    readonly app: INestApplication,
    readonly url: string,
    readonly emulator: SpotzeeEmulator,
    private readonly previousEnv: Record<string, string | undefined>,
  ) {}

  static async start(): Promise<ShopUnderTest> {
    // Only the configured key is accepted: proves the key from ConfigService is the one on the wire.
    const emulator = await SpotzeeEmulator.start({ apiKeys: [TEST_API_KEY] });
    const previousEnv = {
      SPOTZEE_API_KEY: process.env.SPOTZEE_API_KEY,
      SPOTZEE_BASE_URL: process.env.SPOTZEE_BASE_URL,
    };
    process.env.SPOTZEE_API_KEY = TEST_API_KEY;
    process.env.SPOTZEE_BASE_URL = emulator.baseUrl;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    return new ShopUnderTest(app, await app.getUrl(), emulator, previousEnv);
  }

  get tracker(): SpotzeeTracker {
    return this.app.get(SpotzeeTracker);
  }

  async request<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ShopResponse<T>> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  /** Signs a new customer up and returns the headers of their later requests. */
  async signUp(email: string, anonymousId?: string): Promise<{ id: string; auth: Record<string, string> }> {
    const response = await this.request<{ id: string; token: string }>('POST', '/accounts', {
      headers: anonymousId === undefined ? {} : { 'x-anonymous-id': anonymousId },
      body: { email, name: email.split('@')[0] },
    });
    if (response.status !== 201) throw new Error(`sign-up answered ${response.status}`);
    return { id: response.body.id, auth: { authorization: `Bearer ${response.body.token}` } };
  }

  /**
   * Waits until `count` events reached the emulator, then flushes, so that anything else the
   * library still held is on the wire too before the caller asserts on what is (not) there.
   */
  async settle(count: number): Promise<SpotzeeWireEvent[]> {
    // Generous: a loaded CI machine may be slow; a passing run returns as soon as the events arrive.
    await this.emulator.waitForEvents(count, { timeoutMs: 20_000 });
    await this.tracker.flush();
    return this.wireEvents();
  }

  wireEvents(): SpotzeeWireEvent[] {
    return this.emulator.events.map((received) => received.event);
  }

  wireEventsNamed(name: string): SpotzeeWireEvent[] {
    return this.wireEvents().filter((event) => event.name === name);
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.emulator.stop();
    for (const [key, value] of Object.entries(this.previousEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
