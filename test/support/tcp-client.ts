import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy, type MicroserviceOptions } from '@nestjs/microservices';
import type { TestingModule } from '@nestjs/testing';
import type { AddressInfo, Server } from 'node:net';

/**
 * TCP on loopback, port 0: the OS picks a free port at bind time, so there is no window in which
 * another process could take a port found free beforehand. `boundPort` tells which one it was.
 */
export const LOOPBACK_TCP: MicroserviceOptions = { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } };

/** The port a TCP microservice bound. */
export function boundPort(microservice: INestMicroservice): number {
  return (microservice.unwrap<Server>().address() as AddressInfo).port;
}

export async function connectClient(port: number): Promise<ClientProxy> {
  const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  await client.connect();
  return client;
}

/** A standalone TCP microservice on loopback, and a client connected to it. */
export async function startTcpMicroservice(
  moduleRef: TestingModule,
): Promise<{ microservice: INestMicroservice; client: ClientProxy }> {
  const microservice = moduleRef.createNestMicroservice({ ...LOOPBACK_TCP, logger: false });
  await microservice.listen();
  return { microservice, client: await connectClient(boundPort(microservice)) };
}
