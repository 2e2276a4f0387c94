import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, Field, GraphQLModule, ID, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { MessagePattern, Payload, RpcException, type ClientProxy } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { EMULATOR_API_KEY } from '../../lib/emulator/index.js';
import { EmitsEvent, SpotzeeModule, SpotzeeTracker } from '../../lib/index.js';
import { eventually } from '../support/eventually.js';
import { startApp } from '../support/loopback-app.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { suiteEmulator } from '../support/suite-emulator.js';
import { startTcpMicroservice } from '../support/tcp-client.js';

interface Charge {
  customerId: string;
  amount: number;
  decline?: boolean;
}

@Controller()
class PaymentsRpcController {
  constructor(private readonly spotzee: SpotzeeTracker) {}

  @MessagePattern('charge')
  @EmitsEvent('charge_processed', {
    contact: (charge: Charge) => ({ externalId: charge.customerId }),
    data: (charge: Charge) => ({ amount: charge.amount }),
  })
  async charge(@Payload() charge: Charge): Promise<Charge> {
    await new Promise((resolve) => setImmediate(resolve));
    this.spotzee.track('charge_audited', { externalId: charge.customerId, data: { amount: charge.amount } });
    if (charge.decline) {
      throw new RpcException('card declined');
    }
    return charge;
  }
}

@ObjectType()
class Ticket {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;
}

@Resolver(() => Ticket)
class TicketsResolver {
  private sequence = 0;

  constructor(private readonly spotzee: SpotzeeTracker) {}

  @Query(() => [Ticket])
  tickets(): Ticket[] {
    return [];
  }

  @Mutation(() => Ticket, { nullable: true })
  @EmitsEvent('ticket_opened', { data: (ticket: Ticket) => ({ ticket_id: ticket.id, title: ticket.title }) })
  async openTicket(@Args('title') title: string): Promise<Ticket> {
    await Promise.resolve();
    this.spotzee.track('ticket_audited', { data: { title } });
    if (title === 'fail') {
      throw new Error('cannot open this ticket');
    }
    this.sequence += 1;
    return { id: `tk_${this.sequence}`, title };
  }
}

describe('transports other than plain HTTP', () => {
  const emulator = suiteEmulator();

  describe('RPC (TCP microservice)', () => {
    let microservice: INestMicroservice;
    let client: ClientProxy;
    let tracker: SpotzeeTracker;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [SpotzeeModule.forRoot({ apiKey: EMULATOR_API_KEY, baseUrl: emulator().baseUrl, flushIntervalMs: 60_000 })],
        controllers: [PaymentsRpcController],
      }).compile();
      ({ microservice, client } = await startTcpMicroservice(moduleRef));
      tracker = microservice.get(SpotzeeTracker);
    });

    afterAll(async () => {
      await client?.close();
      await microservice?.close();
    });

    it('commits when the handler completes, with ids from the payload', async () => {
      const before = tracker.stats().captured;
      await firstValueFrom(client.send('charge', { customerId: 'cus_1', amount: 30 }));
      await eventually(() => tracker.stats().captured === before + 2, 'both events committed');
      await tracker.flush();
      expect(emulator().events.map(({ event }) => [event.name, event.external_id, event.data])).toEqual([
        ['charge_audited', 'cus_1', { amount: 30 }],
        ['charge_processed', 'cus_1', { amount: 30 }],
      ]);
    });

    it('discards everything when the handler fails', async () => {
      const before = tracker.stats();
      await expect(firstValueFrom(client.send('charge', { customerId: 'cus_2', amount: 5, decline: true }))).rejects.toMatchObject({
        message: 'card declined',
      });
      await tracker.flush();
      expect(emulator().events).toHaveLength(0);
      expect(tracker.stats().captured).toBe(before.captured);
    });
  });

  describe('GraphQL (Apollo)', () => {
    let app: INestApplication;
    let url: string;
    let tracker: SpotzeeTracker;
    const logger = new RecordingLogger();

    beforeAll(async () => {
      ({ app, url } = await startApp(
        {
          imports: [
            SpotzeeModule.forRoot({ apiKey: EMULATOR_API_KEY, baseUrl: emulator().baseUrl, flushIntervalMs: 60_000, logger }),
            GraphQLModule.forRoot<ApolloDriverConfig>({
              driver: ApolloDriver,
              autoSchemaFile: true,
              context: ({ req }: { req: unknown }) => ({ req }),
            }),
          ],
          providers: [TicketsResolver],
        },
        new ExpressAdapter(),
      ));
      tracker = app.get(SpotzeeTracker);
    });

    afterAll(async () => {
      await app?.close();
    });

    it('recognises resolver methods as handlers (no misplaced-decorator warning)', () => {
      expect(logger.messages('warn')).toEqual([]);
    });

    it('settles each top-level resolver on its own: the one that fails sends nothing', async () => {
      const before = tracker.stats().captured;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-anonymous-id': 'anon_gql' },
        body: JSON.stringify({
          query: 'mutation { good: openTicket(title: "printer jam") { id } bad: openTicket(title: "fail") { id } }',
        }),
      });
      const body = (await response.json()) as { data: { good: { id: string } | null }; errors?: unknown[] };
      expect(body.data.good).toEqual({ id: 'tk_1' });
      expect(body.errors).toHaveLength(1);

      await eventually(() => tracker.stats().captured === before + 2, 'the successful resolver committed');
      await tracker.flush();
      expect(emulator().events.map(({ event }) => [event.name, event.anonymous_id, event.data])).toEqual([
        ['ticket_audited', 'anon_gql', { title: 'printer jam' }],
        ['ticket_opened', 'anon_gql', { ticket_id: 'tk_1', title: 'printer jam' }],
      ]);
    });
  });
});
