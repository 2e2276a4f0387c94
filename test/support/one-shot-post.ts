import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * A POST on a fresh connection that closes after the answer, the way a load balancer talks to an
 * instance it is draining. Shutdown tests need it: a kept-alive idle socket would hold the server's
 * close() open for the platform's keep-alive timeout (72 s on Fastify), which is not what they test.
 */
export function postOnce(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: 'POST', agent: false, headers: { connection: 'close', 'content-length': '0', ...headers } },
      (incoming) => {
        let body = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (body += chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}
