import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { INestApplication, INestMicroservice } from '@nestjs/common';
import type { ClientProxy, MicroserviceOptions } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { lastValueFrom } from 'rxjs';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { SILENT_LOGGER } from '../../lib/delivery/index.js';
import { SpotzeeModule, SpotzeeTracker } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { suiteEmulator } from '../support/suite-emulator.js';
import { boundPort, connectClient, LOOPBACK_TCP, startTcpMicroservice } from '../support/tcp-client.js';
import { BillingModule } from './fixtures/microservice/billing.module.js';
import type { Charge, Receipt, Renewal } from './fixtures/microservice/billing.messages.js';
import { handlerFailures } from './fixtures/microservice/handler-failures.filter.js';

describe('@EmitsEvent and track() in a TCP microservice', () => {
  const emulator = suiteEmulator();

  beforeEach(() => {
    handlerFailures.length = 0;
  });

  async function compileBilling() {
    return Test.createTestingModule({
      imports: [
        SpotzeeModule.forRoot({
          apiKey: EMULATOR_API_KEY,
          baseUrl: emulator().baseUrl,
          // Nothing leaves before the test calls flush(), so "nothing was sent" is not a race.
          flushIntervalMs: 60_000,
          logger: SILENT_LOGGER,
        }),
        BillingModule,
      ],
    }).compile();
  }

  function charge(client: ClientProxy, payload: Charge): Promise<Receipt> {
    // lastValueFrom: the reply stream completes after the handler's observable did, so the verdict is in.
    return lastValueFrom(client.send<Receipt, Charge>('billing.charge', payload));
  }

  function wire(): Array<Record<string, unknown>> {
    return emulator().events.map(({ event }) => ({ ...event }));
  }

  describe('standalone microservice (each decorated call gets its own context)', () => {
    let microservice: INestMicroservice;
    let client: ClientProxy;
    let tracker: SpotzeeTracker;

    beforeAll(async () => {
      ({ microservice, client } = await startTcpMicroservice(await compileBilling()));
      tracker = microservice.get(SpotzeeTracker);
    });

    afterAll(async () => {
      await client?.close();
      await microservice?.close();
    });

    it("commits a @MessagePattern handler's events when it completes, ids taken from the payload", async () => {
      const receipt = await charge(client, { paymentId: 'pay_1', customerId: 'cus_1', amount: 30 });
      expect(receipt).toEqual({ paymentId: 'pay_1', amount: 30, status: 'captured' });

      await tracker.flush();
      expect(wire()).toEqual([
        { name: 'payment_attempted', external_id: 'cus_1', data: { amount: 30 }, created_at: expect.any(String) },
        {
          name: 'payment_captured',
          external_id: 'cus_1',
          data: { payment_id: 'pay_1', amount: 30 },
          created_at: expect.any(String),
        },
      ]);
      expect(emulator().batches).toHaveLength(1);
      expect(emulator().batches[0]!.body).toBe(
        `[${emulator()
          .events.map(({ event }) => JSON.stringify(event))
          .join(',')}]`,
      );
    });

    it("sends none of a @MessagePattern handler's events when it throws", async () => {
      const before = tracker.stats();
      await expect(
        charge(client, { paymentId: 'pay_2', customerId: 'cus_2', amount: 5, decline: true }),
      ).rejects.toEqual({
        code: 'card_declined',
        message: 'card declined',
      });

      await tracker.flush();
      expect(emulator().requests).toHaveLength(0);
      expect(tracker.stats()).toMatchObject({
        captured: before.captured,
        rejected: before.rejected,
        dropped: before.dropped,
      });
      expect(handlerFailures).toEqual(['billing.charge']);
    });

    it("commits an @EventPattern handler's events when it completes", async () => {
      const before = tracker.stats().captured;
      await lastValueFrom(client.emit<void, Renewal>('subscription.renewed', { customerId: 'cus_3', plan: 'pro' }), {
        defaultValue: undefined,
      });

      // Fire-and-forget: no reply to wait on, so wait for the commit itself.
      await eventually(() => tracker.stats().captured === before + 2, 'the renewal handler committed');
      await tracker.flush();
      expect(wire()).toEqual([
        { name: 'invoice_issued', external_id: 'cus_3', data: { plan: 'pro' }, created_at: expect.any(String) },
        { name: 'subscription_renewed', external_id: 'cus_3', data: { plan: 'pro' }, created_at: expect.any(String) },
      ]);
    });

    it("sends none of an @EventPattern handler's events when it throws", async () => {
      const before = tracker.stats();
      await lastValueFrom(
        client.emit<void, Renewal>('subscription.renewed', { customerId: 'cus_4', plan: 'pro', failInvoicing: true }),
        {
          defaultValue: undefined,
        },
      );

      // Exception filters run after the interceptor saw the error: once the failure is noted, the events are gone.
      await eventually(() => handlerFailures.includes('subscription.renewed'), 'the renewal handler failed');
      await tracker.flush();
      expect(emulator().requests).toHaveLength(0);
      expect(tracker.stats()).toMatchObject({
        captured: before.captured,
        rejected: before.rejected,
        dropped: before.dropped,
      });
    });

    it("keeps each message's events to itself across 50 concurrent calls", async () => {
      const count = 50;
      const outcomes = await Promise.allSettled(
        Array.from({ length: count }, (_, n) =>
          charge(client, { paymentId: `pay_c${n}`, customerId: `cus_c${n}`, amount: n + 1, decline: n % 5 === 0 }),
        ),
      );
      expect(outcomes.filter(({ status }) => status === 'rejected')).toHaveLength(count / 5);

      await tracker.flush();
      const events = wire();
      expect(events).toHaveLength((count - count / 5) * 2);
      for (const event of events) {
        const amount = (event.data as { amount: number }).amount;
        expect(amount % 5).not.toBe(1); // declined charges (n % 5 === 0, amount n + 1) sent nothing
        expect(event.external_id).toBe(`cus_c${amount - 1}`);
      }
    });

    it('sends one event, not two, when a controller also opts in with @UseInterceptors(SpotzeeInterceptor)', async () => {
      await lastValueFrom(
        client.send<Receipt, Charge>('billing.refund', { paymentId: 'pay_5', customerId: 'cus_5', amount: 12 }),
      );
      await tracker.flush();
      expect(wire()).toEqual([
        {
          name: 'payment_refunded',
          external_id: 'cus_5',
          data: { payment_id: 'pay_5', amount: 12 },
          created_at: expect.any(String),
        },
      ]);
    });
  });

  describe('hybrid application (HTTP + connected TCP microservice)', () => {
    async function startHybrid(
      inheritAppConfig: boolean,
    ): Promise<{ app: INestApplication; client: ClientProxy; tracker: SpotzeeTracker }> {
      const app = (await compileBilling()).createNestApplication(new ExpressAdapter(), { logger: false });
      const microservice = app.connectMicroservice<MicroserviceOptions>({ ...LOOPBACK_TCP }, { inheritAppConfig });
      await app.startAllMicroservices();
      await app.listen(0, '127.0.0.1');
      return { app, client: await connectClient(boundPort(microservice)), tracker: app.get(SpotzeeTracker) };
    }

    it("gives the microservice's decorated handlers their context with inheritAppConfig: true", async () => {
      const { app, client, tracker } = await startHybrid(true);
      try {
        await charge(client, { paymentId: 'pay_6', customerId: 'cus_6', amount: 8 });
        await expect(
          charge(client, { paymentId: 'pay_7', customerId: 'cus_7', amount: 9, decline: true }),
        ).rejects.toMatchObject({
          code: 'card_declined',
        });
        await tracker.flush();
        expect(wire().map(({ name, external_id }) => [name, external_id])).toEqual([
          ['payment_attempted', 'cus_6'],
          ['payment_captured', 'cus_6'],
        ]);
      } finally {
        await client.close();
        await app.close();
      }
    });

    it('gives them the same context without inheritAppConfig: no global enhancer is involved', async () => {
      const { app, client, tracker } = await startHybrid(false);
      try {
        // The decorator's own hook opens the call's context: what Nest shares with a connected
        // microservice does not matter, and a declined charge still sends nothing.
        await charge(client, { paymentId: 'pay_8', customerId: 'cus_8', amount: 3 });
        await expect(
          charge(client, { paymentId: 'pay_9', customerId: 'cus_9', amount: 4, decline: true }),
        ).rejects.toMatchObject({ code: 'card_declined' });
        await lastValueFrom(
          client.send<Receipt, Charge>('billing.refund', { paymentId: 'pay_8', customerId: 'cus_8', amount: 3 }),
        );
        await tracker.flush();
        expect(wire().map(({ name, external_id }) => [name, external_id])).toEqual([
          ['payment_attempted', 'cus_8'],
          ['payment_captured', 'cus_8'],
          ['payment_refunded', 'cus_8'],
        ]);
      } finally {
        await client.close();
        await app.close();
      }
    });
  });
});
