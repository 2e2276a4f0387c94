import type { IncomingMessage } from 'node:http';

export type BodyRead =
  { kind: 'complete'; body: Buffer } | { kind: 'too_large'; bytes: number } | { kind: 'aborted'; bytes: number };

/**
 * Reads the whole body, keeping at most `maxBytes`. An oversize body is drained rather than cut off:
 * resetting mid-upload would hide the `413` from the client behind a connection error.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (tooLarge) return;
      if (bytes > maxBytes) {
        tooLarge = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () =>
      resolve(tooLarge ? { kind: 'too_large', bytes } : { kind: 'complete', body: Buffer.concat(chunks, bytes) }),
    );
    req.on('error', () => resolve({ kind: 'aborted', bytes }));
    req.on('close', () => {
      if (!req.complete) resolve({ kind: 'aborted', bytes });
    });
  });
}
