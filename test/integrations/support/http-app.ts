import type { INestApplication } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { TestingModule } from '@nestjs/testing';

export interface RunningApp {
  app: INestApplication;
  url: string;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** Listens on an ephemeral loopback port, as a user's e2e test would with supertest. */
export async function listen(moduleRef: TestingModule, adapter: AbstractHttpAdapter): Promise<RunningApp> {
  const app = moduleRef.createNestApplication(adapter, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const post = (path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  return { app, url, post };
}
