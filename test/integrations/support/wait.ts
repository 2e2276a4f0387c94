/** Polls a condition with a generous limit; the limit only turns a hang into a readable failure. */
export async function eventually(condition: () => boolean, description: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting for: ${description}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
