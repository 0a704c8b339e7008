/**
 * Picks the stores config asks for: in-memory by default; with `redis.url`, Redis for sessions
 * (`sessions.store: "redis"`), the response cache (`responseCache.store: "redis"`), and always for
 * budgets and rate limits, so several instances act as one.
 */
import { MemoryResponseStore } from '../cache/response-cache.js';
import type { SwitchboardConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import { MemoryBudgetStore } from '../resilience/budget.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import {
  RedisBudgetStore,
  RedisRateLimitStore,
  RedisResponseStore,
  RedisSessionStore,
  closeRedisClient,
  createRedisClient,
  waitForRedis,
} from '../stores/redis/index.js';
import type { PipelineStores } from './pipeline-module.js';

/** How long start-up waits for Redis before going on (calls then fail or fall through per store). */
const REDIS_STARTUP_WAIT_MS = 5_000;

/** Build the stores for this config. */
export async function createStores(config: SwitchboardConfig, logger: Logger, secrets?: SecretRegistry): Promise<PipelineStores> {
  const memoryResponses = () =>
    new MemoryResponseStore({ max: config.responseCache.max, maxBytes: config.responseCache.maxBytes, ttlMs: config.responseCache.ttlMs });
  if (!config.redis.url) {
    return {
      sessions: new MemorySessionStore({ max: config.sessions.max }),
      responses: memoryResponses(),
      budgets: new MemoryBudgetStore(),
      close: async () => undefined,
    };
  }
  const client = createRedisClient({ url: config.redis.url, keyPrefix: config.redis.keyPrefix }, { logger, secrets });
  try {
    await waitForRedis(client, REDIS_STARTUP_WAIT_MS);
  } catch (error) {
    // A Redis that is down at start is like one that goes down later: stores fail per call
    // (the response cache falls through to the provider) and recover when Redis is back.
    logger.warn('Redis is not reachable yet; shared stores will fail until it is', { error });
  }
  const keyPrefix = config.redis.keyPrefix;
  try {
    return {
      sessions: config.sessions.store === 'redis' ? new RedisSessionStore({ client, keyPrefix }) : new MemorySessionStore({ max: config.sessions.max }),
      // The cache hands its TTL to every write; `ttlMs: 0` ("until evicted") leaves the store's default lifetime.
      responses: config.responseCache.store === 'redis' ? new RedisResponseStore({ client, keyPrefix }) : memoryResponses(),
      budgets: new RedisBudgetStore({ client, keyPrefix }),
      rateLimits: new RedisRateLimitStore({ client, keyPrefix }),
      close: () => closeRedisClient(client),
    };
  } catch (error) {
    // Nothing else holds the client yet: left open, it would keep reconnecting and the process alive.
    await closeRedisClient(client);
    throw error;
  }
}
