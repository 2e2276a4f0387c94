// The Nest application autocannon loads, in its own process. Two shapes:
// - `baseline`: no SpotzeeModule at all. `POST /orders`, and `POST /orders/passthrough`, the same
//   handler under an interceptor that only returns `next.handle()`: what Nest itself charges a route
//   for having any interceptor (an rxjs pipeline per call), to tell it apart from what
//   nestjs-spotzee's interceptor does.
// - `spotzee`: the real SpotzeeModule (default options, events to the sink), with `POST /orders`
//   (no decorator) and `POST /orders/tracked`, the same handler under @EmitsEvent with data and
//   identify mappers. The contact comes from the default resolver (the `x-anonymous-id` header).
//   `POST /orders/tracked-refused` is that decorated route answering 422 (`@HttpCode`): its event is
//   captured and held like any other, then discarded when the response fails, so it never reaches the
//   queue: what capturing costs a request without the engine and the network.
// - `spotzee-dry-run`: the SpotzeeModule with `dryRun: true`: every batch is settled as accepted
//   without a request, so its decorated route pays for everything but the network.
// - `spotzee-contexts`: the same, plus a service that is given SpotzeeTracker, so that every request
//   gets a context (`requestContext: 'auto'`), as in an app that also tracks from its services.
// Written in plain ESM, so decorators are applied as the functions they are.
import 'reflect-metadata';
import { Body, Controller, HttpCode, Inject, Injectable, Module, Post, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { argument, fail, onCommand, onExitRequest, send } from '../harness/ipc-child.mjs';
import { BENCH_API_KEY } from '../contenders/spotzee.contender.mjs';
import { loadLibrary } from '../harness/library-build.mjs';

const platform = argument('platform');
const variant = argument('variant');
const origin = argument('origin');

let orders = 0;
function placeOrder(body) {
  orders += 1;
  return {
    id: `ord_${orders}`,
    total: body.total,
    currency: body.currency,
    customer: { id: body.customerId, email: `${body.customerId}@example.com` },
  };
}

function method(target, key, decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, key);
  Object.defineProperty(target.prototype, key, Reflect.decorate(decorators, target.prototype, key, descriptor));
}

async function buildModule() {
  class OrdersController {
    create(body) {
      return placeOrder(body);
    }
    createTracked(body) {
      return placeOrder(body);
    }
    createPassThrough(body) {
      return placeOrder(body);
    }
    createRefused(body) {
      return placeOrder(body);
    }
  }
  Body()(OrdersController.prototype, 'create', 0);
  method(OrdersController, 'create', [Post()]);

  const imports = [];
  if (variant.startsWith('spotzee')) {
    const { EmitsEvent, SpotzeeModule } = await loadLibrary();
    const orderPlaced = () =>
      EmitsEvent('order_placed', {
        data: (order) => ({ order_id: order.id, total: order.total, currency: order.currency }),
        identify: (order) => ({ email: order.customer.email }),
      });
    Body()(OrdersController.prototype, 'createTracked', 0);
    method(OrdersController, 'createTracked', [Post('tracked'), orderPlaced()]);
    Body()(OrdersController.prototype, 'createRefused', 0);
    method(OrdersController, 'createRefused', [Post('tracked-refused'), HttpCode(422), orderPlaced()]);
    imports.push(
      SpotzeeModule.forRoot(
        variant === 'spotzee-dry-run' ? { dryRun: true } : { apiKey: BENCH_API_KEY, baseUrl: `${origin}/api/client` },
      ),
    );
  }
  const providers = [];
  if (variant === 'spotzee-contexts') {
    // A service given the tracker, as an app that also tracks from its services has: every request then
    // gets a context, which `track()` calls below its handler join.
    const { SpotzeeTracker } = await loadLibrary();
    class AuditService {
      constructor(tracker) {
        this.tracker = tracker;
      }
    }
    Inject(SpotzeeTracker)(AuditService, undefined, 0);
    Injectable()(AuditService);
    providers.push(AuditService);
  }
  if (variant === 'baseline') {
    class PassThroughInterceptor {
      intercept(context, next) {
        return next.handle();
      }
    }
    Injectable()(PassThroughInterceptor);
    Body()(OrdersController.prototype, 'createPassThrough', 0);
    method(OrdersController, 'createPassThrough', [Post('passthrough'), UseInterceptors(PassThroughInterceptor)]);
  }
  Controller('orders')(OrdersController);
  class AppModule {}
  Module({ imports, controllers: [OrdersController], providers })(AppModule);
  return AppModule;
}

async function createApp(AppModule) {
  if (platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
  }
  return NestFactory.create(AppModule, { logger: false });
}

async function main() {
  const app = await createApp(await buildModule());
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  const tracker = variant === 'baseline' ? null : app.get((await loadLibrary()).SpotzeeTracker);
  onExitRequest(() => app.close());
  onCommand(async (message) => {
    if (message.type !== 'flush') return;
    if (tracker) await tracker.flush();
    const cpu = process.cpuUsage();
    send({ type: 'flush-ok', stats: tracker?.stats() ?? null, orders, cpuUs: cpu.user + cpu.system });
  });
  send({ type: 'ready', url: `http://127.0.0.1:${port}` });
}

main().catch(fail);
