import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';

export interface RunningApp {
  app: INestApplication;
  /** `http://127.0.0.1:PORT` */
  url: string;
}

/**
 * Listens on an ephemeral loopback port and returns the app's URL. Nest may report the address as
 * `[::1]`; the tests talk IPv4, where the server is bound.
 */
export async function listenOnLoopback(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/** Boots a real Nest application on an ephemeral loopback port; Express unless a suite names its platform. */
export async function startApp(
  metadata: ModuleMetadata,
  adapter: AbstractHttpAdapter = new ExpressAdapter(),
  logger: LoggerService | false = false,
): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication(adapter, { logger });
  return { app, url: await listenOnLoopback(app) };
}

/** Compiles and initialises a module without listening, and resolves to what start-up threw. */
export async function startupError(
  metadata: ModuleMetadata,
  adapter: AbstractHttpAdapter = new ExpressAdapter(),
  logger: LoggerService | false = false,
): Promise<Error> {
  try {
    const builder = Test.createTestingModule(metadata);
    if (logger !== false) builder.setLogger(logger);
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication(adapter, { logger });
    try {
      await app.init();
    } finally {
      await app.close();
    }
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the application to fail at start-up, but it started');
}
