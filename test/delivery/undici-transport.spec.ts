// The default transport, alone against raw `node:http` servers written here: what it resolves and rejects
// with for each way an exchange can end, and that an abort or a timeout really ends the exchange on the
// wire (the server sees its socket close), not only the Promise.
import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RequestTimeoutError, UndiciTransport } from '../../lib/delivery/index.js';
import type { TransportRequest } from '../../lib/delivery/index.js';

interface RawServer {
  url: string;
  /** Resolves when the server sees the connection of the n-th request (from 0) close. */
  closed(index: number): Promise<void>;
  /** The bodies received, in order. */
  bodies: string[];
}

const servers: Server[] = [];
const transports: UndiciTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function rawServer(
  answer: (req: IncomingMessage, res: ServerResponse, index: number) => void,
): Promise<RawServer> {
  const closes: Promise<void>[] = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const index = closes.length;
    closes.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      answer(req, res, index);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/client/events`,
    bodies,
    closed: async (index) => {
      while (closes[index] === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      await closes[index];
    },
  };
}

function transportFor(server: RawServer): UndiciTransport {
  const transport = new UndiciTransport({ baseUrl: server.url, connectTimeoutMs: 2000, connections: 2 });
  transports.push(transport);
  return transport;
}

function request(url: string, overrides: Partial<TransportRequest> = {}): TransportRequest {
  return {
    url,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('[{"name":"order_placed"}]'),
    signal: new AbortController().signal,
    timeoutMs: 2000,
    maxResponseBytes: 64,
    ...overrides,
  };
}

describe('UndiciTransport against raw servers', () => {
  it('resolves with the status, lower-cased headers (repeated ones joined) and the body text', async () => {
    const server = await rawServer((_req, res) => {
      res.setHeader('X-Request-Id', 'req_1');
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    });
    const response = await transportFor(server).send(request(server.url));
    expect(response).toEqual({
      status: 202,
      headers: expect.objectContaining({ 'x-request-id': 'req_1', 'set-cookie': 'a=1, b=2' }),
      body: '{"ok":true}',
      truncated: false,
      incomplete: false,
    });
    expect(server.bodies).toEqual(['[{"name":"order_placed"}]']);
  });

  it('answers an empty body with null', async () => {
    const server = await rawServer((_req, res) => res.writeHead(204).end());
    await expect(transportFor(server).send(request(server.url))).resolves.toMatchObject({ status: 204, body: null });
  });

  it('stops reading a body over maxResponseBytes: the status stands, the body is dropped, the socket closes', async () => {
    const server = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(50));
      res.write('y'.repeat(50));
      // Never ends: only the transport's own stop can close this exchange.
    });
    const response = await transportFor(server).send(request(server.url, { maxResponseBytes: 64 }));
    expect(response).toMatchObject({ status: 200, body: null, truncated: true });
    await server.closed(0);
  });

  it('rejects with RequestTimeoutError when no status arrives within timeoutMs, and hangs up', async () => {
    const server = await rawServer(() => {
      // Never answers.
    });
    const started = Date.now();
    await expect(transportFor(server).send(request(server.url, { timeoutMs: 150 }))).rejects.toBeInstanceOf(
      RequestTimeoutError,
    );
    expect(Date.now() - started).toBeLessThan(1000);
    await server.closed(0);
  });

  it('resolves `incomplete` with what arrived when the body outlives timeoutMs after the status', async () => {
    const server = await rawServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.write('busy, ');
    });
    const response = await transportFor(server).send(request(server.url, { timeoutMs: 150 }));
    expect(response).toMatchObject({ status: 503, body: 'busy, ', incomplete: true, truncated: false });
    await server.closed(0);
  });

  it('resolves `incomplete` when the server cuts the body off', async () => {
    const server = await rawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const response = await transportFor(server).send(request(server.url));
    expect(response).toMatchObject({ status: 200, body: 'partial', incomplete: true });
  });

  it.each([
    {
      when: 'before the status',
      answer: (): void => {
        // Never answers.
      },
    },
    {
      // An abandoned exchange is no answer, whatever arrived of it.
      when: 'mid-body',
      answer: (_req: IncomingMessage, res: ServerResponse): void => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('still coming');
      },
    },
  ])('rejects with the shutdown reason when the signal aborts $when, and hangs up at once', async ({ answer }) => {
    const server = await rawServer(answer);
    const shutdown = new AbortController();
    const sent = transportFor(server).send(request(server.url, { signal: shutdown.signal, timeoutMs: 10_000 }));
    await new Promise((resolve) => setTimeout(resolve, 80));
    const reason = new Error('shutdown deadline');
    const aborted = Date.now();
    shutdown.abort(reason);
    await expect(sent).rejects.toBe(reason);
    await server.closed(0);
    expect(Date.now() - aborted).toBeLessThan(1000);
  });

  it('rejects at once, sending nothing, when the signal is already aborted', async () => {
    const server = await rawServer((_req, res) => res.writeHead(204).end());
    const shutdown = new AbortController();
    shutdown.abort(new Error('closed'));
    await expect(transportFor(server).send(request(server.url, { signal: shutdown.signal }))).rejects.toThrow('closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.bodies).toEqual([]);
  });

  it('times out a request still waiting for a connection, without waiting for one to free up', async () => {
    const server = await rawServer(() => {
      // Never answers: both connections stay busy.
    });
    const transport = transportFor(server);
    const busy = [
      transport.send(request(server.url, { timeoutMs: 600 })),
      transport.send(request(server.url, { timeoutMs: 600 })),
    ];
    const started = Date.now();
    await expect(transport.send(request(server.url, { timeoutMs: 100 }))).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - started).toBeLessThan(1500);
    await Promise.allSettled(busy);
  });
});
