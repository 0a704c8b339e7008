/**
 * Picks the stores: the caller's own where given (createSwitchboard's `stores`), else what config
 * asks for: in-memory by default; with `redis.url`, Redis for sessions (`sessions.store: "redis"`),
 * the response cache (`responseCache.store: "redis"`), and always for budgets, rate limits and tenant spend, so
 * several instances act as one. A Redis client is made only when some store still needs it.
 */
import { MemoryResponseStore, type ResponseCacheStore } from '../cache/response-cache.js';
import type { SwitchboardConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import { MemoryBudgetStore, type BudgetStore } from '../resilience/budget.js';
import type { RateLimitStore } from '../resilience/rate-limit-store.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import type { SessionStore } from '../sessions/session-store.js';
import { MemoryHistoryStore, type HistoryStore } from '../sessions/history-store.js';
import { MemorySpendStore, type SpendStore } from '../tenants/spend-store.js';
import {
  RedisBudgetStore,
  RedisDeploymentCooldownStore,
  RedisRateLimitStore,
  RedisResponseStore,
  RedisHistoryStore,
  RedisSessionStore,
  RedisSpendStore,
  closeRedisClient,
  createRedisClient,
  waitForRedis,
} from '../stores/redis/index.js';
import type { PipelineStores } from './pipeline-module.js';

/**
 * Stores a caller brings (a database, another cache): each replaces the one config would pick. The
 * switchboard owns them from then on: `sb.close()` closes every one given.
 */
export interface UserStores {
  sessions?: SessionStore;
  /** Session histories (bots with memory); without one they follow `sessions.store` (memory or Redis). */
  history?: HistoryStore;
  /** Used when `responseCache.enabled`. */
  responses?: ResponseCacheStore;
  budgets?: BudgetStore;
  /** Shared client-side rate limits (`resilience.rateLimits`, tenants' `rpm`); without one (and without Redis) limits are per process. */
  rateLimits?: RateLimitStore;
  /** Per-tenant spend (`sb.spend()`); without one (and without Redis) it is per process. */
  spend?: SpendStore;
}

/** How long start-up waits for Redis before going on (calls then fail or fall through per store). */
const REDIS_STARTUP_WAIT_MS = 5_000;

/**
 * Whether config would put any store the caller did not give in Redis. Tenant spend follows: in Redis
 * whenever a client is made anyway (so it is shared like the budgets), else in memory.
 */
function needsRedis(config: SwitchboardConfig, given: UserStores): boolean {
  if (!config.redis.url) return false;
  return (
    (config.sessions.store === 'redis' && (!given.sessions || !given.history)) ||
    (config.responseCache.store === 'redis' && !given.responses) ||
    !given.budgets ||
    !given.rateLimits
  );
}

/**
 * What `close()` must close beyond what the pipeline's owners close themselves: the rate-limit
 * store (the limiter leaves it to its owner) and a response store the disabled cache never took.
 */
async function closeUserStores(config: SwitchboardConfig, given: UserStores): Promise<void> {
  await given.rateLimits?.close();
  if (!config.responseCache.enabled) await given.responses?.close();
}

/** Build the stores for this config, the caller's own first. */
export async function createStores(config: SwitchboardConfig, logger: Logger, secrets?: SecretRegistry, given: UserStores = {}): Promise<PipelineStores> {
  const memoryResponses = () =>
    new MemoryResponseStore({ max: config.responseCache.max, maxBytes: config.responseCache.maxBytes, ttlMs: config.responseCache.ttlMs });
  const memorySessions = () => new MemorySessionStore({ max: config.sessions.max });
  const memoryHistory = () => new MemoryHistoryStore({ maxSessions: config.sessions.max });
  if (!needsRedis(config, given)) {
    return {
      sessions: given.sessions ?? memorySessions(),
      history: given.history ?? memoryHistory(),
      responses: given.responses ?? memoryResponses(),
      budgets: given.budgets ?? new MemoryBudgetStore(),
      rateLimits: given.rateLimits,
      spend: given.spend ?? new MemorySpendStore({ maxTenants: config.spend.maxTenants, maxDays: config.spend.retentionDays }),
      close: () => closeUserStores(config, given),
    };
  }
  const client = createRedisClient({ url: config.redis.url, keyPrefix: config.redis.keyPrefix }, { logger, secrets, commandTimeoutMs: config.redis.commandTimeoutMs });
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
      sessions: given.sessions ?? (config.sessions.store === 'redis' ? new RedisSessionStore({ client, keyPrefix }) : memorySessions()),
      history: given.history ?? (config.sessions.store === 'redis' ? new RedisHistoryStore({ client, keyPrefix }) : memoryHistory()),
      // The cache hands its TTL to every write; `ttlMs: 0` ("until evicted") leaves the store's default lifetime.
      responses: given.responses ?? (config.responseCache.store === 'redis' ? new RedisResponseStore({ client, keyPrefix }) : memoryResponses()),
      budgets: given.budgets ?? new RedisBudgetStore({ client, keyPrefix }),
      rateLimits: given.rateLimits ?? new RedisRateLimitStore({ client, keyPrefix }),
      deploymentCooldowns: new RedisDeploymentCooldownStore({ client, keyPrefix }),
      spend: given.spend ?? new RedisSpendStore({ client, keyPrefix }),
      close: async () => {
        await closeUserStores(config, given);
        await closeRedisClient(client);
      },
    };
  } catch (error) {
    // Nothing else holds the client yet: left open, it would keep reconnecting and the process alive.
    await closeRedisClient(client);
    throw error;
  }
}
