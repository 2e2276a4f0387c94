import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';

export interface RunningApp {
  app: INestApplication;
  /** `http://127.0.0.1:PORT` */
  url: string;
}

/** Boots a real Nest application on Express, on an ephemeral loopback port. */
export async function startExpressApp(metadata: ModuleMetadata, logger: LoggerService | false = false): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url };
}

/** Compiles and initialises a module without listening, and returns what start-up threw. */
export async function startupError(metadata: ModuleMetadata, logger: LoggerService | false = false): Promise<Error> {
  try {
    const builder = Test.createTestingModule(metadata);
    if (logger !== false) builder.setLogger(logger);
    const moduleRef = await builder.compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger });
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
