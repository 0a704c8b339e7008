/**
 * Builds the ManagerDeps a manager needs, for tests that construct managers with `new`.
 * Retries default to none and short delays so a failing test fails fast.
 */
import { ModelCache } from '../../src/cache/model-cache.js';
import { silentLogger } from '../../src/core/logger.js';
import type { ManagerDeps, ResilienceSettings } from '../../src/managers/base-llm-manager.js';
import { ModelCatalog, type CatalogEntry } from '../../src/registry/model-catalog.js';
import { noopObserver, type CallObserver } from '../../src/telemetry/observer.js';

/** Options for `makeManagerDeps`. */
export interface TestDepsOptions {
  catalog?: Record<string, CatalogEntry>;
  resilience?: Partial<ResilienceSettings>;
  observer?: CallObserver;
  modelCache?: { max?: number; maxMemoryBytes?: number; ttlMs?: number };
}

/** Test resilience: no retries, 10 ms backoff, 5 s timeouts. */
export const TEST_RESILIENCE: ResilienceSettings = {
  maxRetries: 0,
  maxRetryAfterMs: 60_000,
  baseDelayMs: 10,
  maxDelayMs: 50,
  timeoutMs: 5_000,
  firstChunkTimeoutMs: 5_000,
  idleChunkTimeoutMs: 5_000,
};

/** Fresh deps: a model cache, a catalog, a no-op observer (unless given) and a silent logger. */
export function makeManagerDeps(options: TestDepsOptions = {}): ManagerDeps {
  return {
    modelCache: new ModelCache({ max: 8, ...options.modelCache }),
    catalog: new ModelCatalog(options.catalog ?? {}),
    observer: options.observer ?? noopObserver,
    logger: silentLogger,
    resilience: { ...TEST_RESILIENCE, ...options.resilience },
  };
}
