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
import type { DeploymentCooldownStore } from '../routing/cooldown-store.js';
import { RateLimiter } from '../resilience/rate-limiter.js';
import { SessionManager } from '../sessions/session-manager.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { HistoryStore } from '../sessions/history-store.js';
import { SpendLedger } from '../tenants/spend-ledger.js';
import type { SpendStore } from '../tenants/spend-store.js';
import { TenantPolicy } from '../tenants/tenant-policy.js';
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
  /** Shared deployment cooldowns (Redis); absent = per process. */
  deploymentCooldowns?: DeploymentCooldownStore;
  /** Per-tenant spend (memory or Redis). */
  spend: SpendStore;
  /** Closes shared connections after the stores. */
  close(): Promise<void>;
}

/** Options that are not config: injected for tests. */
export interface PipelineOptions {
  /** Monotonic clock in ms of the circuit breakers (and their rate-limit cooldowns); default `performance.now`. */
  circuitClock?: () => number;
  /** Wall clock (epoch ms) of the tenant spend ledger's UTC days; default Date.now. */
  spendClock?: () => number;
}

/** Binds the pipeline services and the Switchboard. */
export function pipelineModule(config: SwitchboardConfig, stores: PipelineStores, options: PipelineOptions = {}): ContainerModule {
  // One policy per switchboard: the sessions and the call path ask the same rules.
  let tenants: TenantPolicy | undefined;
  const tenantPolicy = (logger: Logger): TenantPolicy =>
    (tenants ??= new TenantPolicy({
      tenants: config.tenants,
      rateStore: stores.rateLimits,
      onStoreError: (error) => logger.warn('rate-limit store failed while counting a tenant call; this process counted it alone', { error }),
    }));
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
          checkTenantBot: (bot, tenantId) => tenantPolicy(context.get<Logger>(TYPES.Logger)).checkBot(tenantId, bot),
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
        const policy = tenantPolicy(logger);
        // Metric labels come from what the switchboard knows: catalog models, what bots name, configured tenants.
        context.get<Telemetry>(TYPES.Telemetry).labels.setKnown({ model: (id) => catalog.has(id) || bots.usesModel(id), bot: (name) => bots.has(name), tenant: (id) => policy.has(id) });
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
          tenants: policy,
          spend: new SpendLedger({
            store: stores.spend,
            retentionDays: config.spend.retentionDays,
            now: options.spendClock,
            onStoreError: (error) => logger.warn('spend store failed while recording a tenant call', { error }),
          }),
          responseCache:
            config.responseCache.enabled && stores.responses ? new ResponseCache(stores.responses, config.responseCache.ttlMs, logger) : undefined,
          onClose: () => stores.close(),
        });
      })
      .inSingletonScope();
  });
}
