/**
 * Waits for a condition by polling. The limit is generous on purpose: it only turns a hang into a
 * readable failure and never asserts how fast anything is. The default stays under Jest's 30 s test
 * timeout, so a hang reports what was awaited rather than a bare test timeout.
 */
export async function eventually(condition: () => boolean, description: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
