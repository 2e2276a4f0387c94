/**
 * Runs `total` jobs with at most `concurrency` of them in flight at any moment; each worker picks the
 * next job number as soon as its previous job settled. Resolves with every job's result, in job order.
 */
export async function runConcurrently<T>(
  total: number,
  concurrency: number,
  job: (n: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(total);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const n = next++;
      results[n] = await job(n);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return results;
}
