/**
 * Redis-backed stores that let several switchboard instances act as one: sessions and their histories, the response
 * cache, budget spend and rate-limit buckets (docs/shared-state.md). One client serves all of them;
 * the stores never close it, the composition root does (`closeRedisClient`) after closing them.
 */
export {
  DEFAULT_KEY_PREFIX,
  RedisStoreError,
  closeRedisClient,
  createRedisClient,
  waitForRedis,
  type RedisClientOptions,
  type RedisConnectionConfig,
  type RedisStoreOptions,
} from './redis-client.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js';
export { DEFAULT_REDIS_RESPONSE_TTL_MS, RedisResponseStore, type RedisResponseStoreOptions } from './redis-response-store.js';
export { RedisBudgetStore } from './redis-budget-store.js';
export { RedisRateLimitStore } from './redis-rate-limit-store.js';
export { RedisSpendStore } from './redis-spend-store.js';
export { RedisHistoryStore } from './redis-history-store.js';
export { RedisDeploymentCooldownStore } from './redis-deployment-cooldown-store.js';
