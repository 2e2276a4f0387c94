import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { Test } from '@nestjs/testing';

export interface RunningApp {
  app: INestApplication;
  url: string;
}

/** Boots a real Nest application on an ephemeral loopback port. */
export async function startApp(metadata: ModuleMetadata, adapter: AbstractHttpAdapter): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication(adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url };
}

/** Compiles and initialises a module without listening, for start-up failures. Resolves to the error thrown. */
export async function bootError(metadata: ModuleMetadata, adapter: AbstractHttpAdapter): Promise<Error> {
  try {
    const moduleRef = await Test.createTestingModule(metadata).compile();
    const app = moduleRef.createNestApplication(adapter, { logger: false });
    try {
      await app.init();
    } finally {
      await app.close();
    }
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the application to fail at start-up, but it booted');
}

/** Polls a condition with a generous limit; the limit only turns a hang into a readable failure. */
export async function eventually(condition: () => boolean, description: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting for: ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
