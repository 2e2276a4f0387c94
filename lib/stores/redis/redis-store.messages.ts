/** Every sentence the Redis store says, in one place. Connection details are never echoed (they may hold a password). */
export const RedisStoreMessages = {
  down: (detail: string) =>
    `RedisEventStore: Redis is unreachable (${detail}). Events are held in memory, within the queue limits ` +
    `(what does not fit is dropped and reported), and no new batch is sent until Redis is back.`,
  up: (replayed: number) =>
    `RedisEventStore: Redis is reachable again; ${replayed} writes held in memory were replayed and sending resumes.`,
  lostData: (events: number, batches: number) =>
    `RedisEventStore: Redis came back without its data (restarted without persistence, or flushed). This ` +
    `replica wrote back the ${events} queued events and ${batches} frozen batches it holds; work only Redis held ` +
    `(a replica that had already stopped) is gone, and explicit idempotency keys claimed before are forgotten. ` +
    `Turn on persistence (appendonly yes) to keep them across a restart.`,
  adopted: (events: number, batches: number) =>
    `RedisEventStore: took over ${events} queued events and ${batches} frozen batches from a replica that stopped ` +
    `renewing its lease; batches are resent under their original Idempotency-Key.`,
  /** Why a batch cannot be taken now (the engine retries the take); events wait in memory. */
  takeRefused: (detail: string) => `Redis is unreachable (${detail}); events wait in memory`,
  scriptFailed: (step: string, detail: string) => `RedisEventStore: ${step} failed (${detail}); it is retried.`,
  invalidOption: (option: string, detail: string) => `RedisEventStore: \`${option}\` ${detail}`,
  notInstalled: () =>
    `RedisEventStore needs the ioredis package: npm install ioredis (it is an optional peer dependency of nestjs-spotzee).`,
} as const;
