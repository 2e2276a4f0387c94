/**
 * `nestjs-spotzee/redis`: the queue store shared by replicas. The only entry that imports `ioredis`
 * (an optional peer dependency), so apps that do not use it never load it.
 */
export { RedisEventStore } from '../stores/redis/redis-event-store.js';
export type { RedisEventStoreOptions } from '../stores/redis/redis-event-store.js';
