import type { AbstractHttpAdapter } from '@nestjs/core';
import type { TestingModule } from '@nestjs/testing';
import { listenOnLoopback, type RunningApp } from '../../support/loopback-app.js';

export interface PostingApp extends RunningApp {
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** Listens on an ephemeral loopback port, as a user's e2e test would with supertest. */
export async function listen(moduleRef: TestingModule, adapter: AbstractHttpAdapter): Promise<PostingApp> {
  const app = moduleRef.createNestApplication(adapter, { logger: false });
  const url = await listenOnLoopback(app);
  const post = (path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  return { app, url, post };
}
