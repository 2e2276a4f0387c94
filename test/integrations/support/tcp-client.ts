import type { INestMicroservice } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import type { AddressInfo, Server } from 'node:net';

/**
 * The port a TCP microservice bound. Servers listen on port 0, so the OS picks a free port at bind
 * time: no window in which another process could take a port found free beforehand.
 */
export function boundPort(microservice: INestMicroservice): number {
  return (microservice.unwrap<Server>().address() as AddressInfo).port;
}

export async function connectClient(port: number): Promise<ClientProxy> {
  const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  await client.connect();
  return client;
}
