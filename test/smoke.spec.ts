import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Smoke } from '../lib/index.js';

@Injectable() class Svc { v() { return 'ok'; } }
@Controller() class C { constructor(private readonly s: Svc) {} @Get('x') x() { return { v: this.s.v() }; } }
@Module({ controllers: [C], providers: [Svc, Smoke] }) class M {}

it('boots express', async () => {
  const mod = await Test.createTestingModule({ imports: [M] }).compile();
  const app = mod.createNestApplication();
  await app.listen(0, '127.0.0.1');
  const r = await fetch(await app.getUrl() + '/x');
  expect(await r.json()).toEqual({ v: 'ok' });
  await app.close();
});
it('boots fastify', async () => {
  const mod = await Test.createTestingModule({ imports: [M] }).compile();
  const app = mod.createNestApplication(new FastifyAdapter());
  await app.listen(0, '127.0.0.1');
  const r = await fetch(await app.getUrl() + '/x');
  expect(await r.json()).toEqual({ v: 'ok' });
  await app.close();
});
