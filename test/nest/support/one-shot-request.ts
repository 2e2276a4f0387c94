import { request } from 'node:http';

/**
 * A POST on a connection of its own (`Connection: close`). Shutdown tests use it: a kept-alive
 * idle connection would hold the server's close() open for the platform's keep-alive timeout
 * (72 s on Fastify), which has nothing to do with what is being tested.
 */
export function postOnce(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: 'POST', agent: false, headers: { connection: 'close', ...headers } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
