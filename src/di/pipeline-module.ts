/**
 * The pipeline's services: adapters, bots, sessions, resilience, response cache and the
 * Switchboard facade itself. Store choices (memory or Redis) arrive already built in `stores`.
 */
import { ContainerModule } from 'inversify';
import { AdapterManager } from '../adapters/adapter-manager.js';
import { BotRegistry } from '../bots/bot-registry.js';
import type { ModelCache } from '../cache/model-cache.js';
import { ResponseCache, type ResponseCacheStore } from '../cache/response-cache.js';
import type { SwitchboardConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import type { ManagerDeps } from '../managers/base-llm-manager.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { ModelCatalog } from '../registry/model-catalog.js';
import { BudgetManager, type BudgetStore } from '../resilience/budget.js';
import { CircuitBreakerRegistry } from '../resilience/circuit-breaker.js';
import { ConcurrencyLimiter } from '../resilience/concurrency-limiter.js';
import type { RateLimitStore } from '../resilience/rate-limit-store.js';
import { RateLimiter } from '../resilience/rate-limiter.js';
import { SessionManager } from '../sessions/session-manager.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { HistoryStore } from '../sessions/history-store.js';
import { Switchboard } from '../switchboard.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { TYPES } from './identifiers.js';

/** Stores chosen by config (see stores.ts). */
export interface PipelineStores {
  sessions: SessionStore;
  history: HistoryStore;
  responses?: ResponseCacheStore;
  budgets: BudgetStore;
  rateLimits?: RateLimitStore;
  /** Closes shared connections after the stores. */
  close(): Promise<void>;
}

/** Options that are not config: injected for tests. */
export interface PipelineOptions {
  /** Monotonic clock in ms of the circuit breakers (and their rate-limit cooldowns); default `performance.now`. */
  circuitClock?: () => number;
}

/** Binds the pipeline services and the Switchboard. */
export function pipelineModule(config: SwitchboardConfig, stores: PipelineStores, options: PipelineOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<AdapterManager>(TYPES.AdapterManager)
      .toDynamicValue((context) => new AdapterManager({ maxSessions: config.sessions.max, logger: context.get<Logger>(TYPES.Logger) }))
      .inSingletonScope();
    bind<BotRegistry>(TYPES.BotRegistry)
      .toDynamicValue((context) => {
        const registry = context.get<ModelRegistry>(TYPES.ModelRegistry);
        const adapters = context.get<AdapterManager>(TYPES.AdapterManager);
        return new BotRegistry({
          hasProvider: (provider) => registry.hasProvider(provider),
          providerNames: () => registry.allManagers().map((manager) => manager.provider),
          hasAdapter: (name) => adapters.has(name),
          onDefined: (name, bot) => adapters.setBotAdapters(name, bot.adapters ?? []),
          onRemoved: (name) => adapters.removeBot(name),
        });
      })
      .inSingletonScope();
    bind<SessionManager>(TYPES.SessionManager)
      .toDynamicValue((context) => {
        const bots = context.get<BotRegistry>(TYPES.BotRegistry);
        const adapters = context.get<AdapterManager>(TYPES.AdapterManager);
        return new SessionManager({
          store: stores.sessions,
          history: stores.history,
          maxHistoryBytes: config.sessions.maxHistoryBytes,
          ttlMs: config.sessions.ttlMs,
          hasBot: (name) => bots.get(name) !== undefined,
          // A session's adapters go with it, however it ends.
          onEnded: (sessionId) => adapters.releaseSession(sessionId),
          // ...and a new session starts with none, even when its id was used by a session Redis expired.
          onStarted: (sessionId) => adapters.releaseSession(sessionId),
          logger: context.get<Logger>(TYPES.Logger),
        });
      })
      .inSingletonScope();
    bind<Switchboard>(TYPES.Switchboard)
      .toDynamicValue((context) => {
        const logger = context.get<Logger>(TYPES.Logger);
        const registry = context.get<ModelRegistry>(TYPES.ModelRegistry);
        registry.setDefaultDeps(context.get<ManagerDeps>(TYPES.ManagerDeps));
        const bots = context.get<BotRegistry>(TYPES.BotRegistry);
        const catalog = context.get<ModelCatalog>(TYPES.ModelCatalog);
        // Metric labels come from what the switchboard knows: catalog models and what bots name.
        context.get<Telemetry>(TYPES.Telemetry).labels.setKnown({ model: (id) => catalog.has(id) || bots.usesModel(id), bot: (name) => bots.has(name) });
        const { resilience } = config;
        return new Switchboard({
          config,
          logger,
          secrets: context.get<SecretRegistry>(TYPES.Secrets),
          registry,
          modelCache: context.get<ModelCache>(TYPES.ModelCache),
          adapters: context.get<AdapterManager>(TYPES.AdapterManager),
          bots: context.get<BotRegistry>(TYPES.BotRegistry),
          sessions: context.get<SessionManager>(TYPES.SessionManager),
          telemetry: context.get<Telemetry>(TYPES.Telemetry),
          breakers: new CircuitBreakerRegistry({
            failureThreshold: resilience.circuitBreaker.failureThreshold,
            cooldownMs: resilience.circuitBreaker.cooldownMs,
            now: options.circuitClock,
          }),
          rateLimiter: new RateLimiter({ limits: resilience.rateLimits, store: stores.rateLimits }),
          concurrency: new ConcurrencyLimiter({ maxConcurrency: resilience.maxConcurrency }),
          budgets: new BudgetManager({
            store: stores.budgets,
            sessionTtlMs: config.sessions.ttlMs,
            onStoreError: (error) => logger.warn('budget store failed while settling a call', { error }),
          }),
          responseCache:
            config.responseCache.enabled && stores.responses ? new ResponseCache(stores.responses, config.responseCache.ttlMs, logger) : undefined,
          onClose: () => stores.close(),
        });
      })
      .inSingletonScope();
  });
}
