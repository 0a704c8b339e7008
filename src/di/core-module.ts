/**
 * Core services: config, logger, catalog, model cache, telemetry and the deps every manager gets
 * (among them the switchboard's transport: its connection pools, released by each manager's close()).
 */
import { ContainerModule } from 'inversify';
import { ModelCache } from '../cache/model-cache.js';
import type { SwitchboardConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import type { ManagerDeps } from '../managers/base-llm-manager.js';
import { ModelCatalog, type CatalogEntry } from '../registry/model-catalog.js';
import { ModelRegistry } from '../registry/model-registry.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { PooledTransport } from '../transport/transport.js';
import { TYPES } from './identifiers.js';

/** What the core module is built from. */
export interface CoreModuleInput {
  config: SwitchboardConfig;
  catalog: Record<string, CatalogEntry>;
  logger: Logger;
  telemetry: Telemetry;
  secrets: SecretRegistry;
  /** Deployment routing: settings and shared stores (ManagerDeps.routing). */
  routing?: ManagerDeps['routing'];
  /**
   * The environment config was loaded from: the transport reads its proxy variables (HTTPS_PROXY,
   * HTTP_PROXY, NO_PROXY) here, once. Default `process.env`, as loadConfig's.
   */
  env?: NodeJS.ProcessEnv;
}

/** Binds config, logger, catalog, model cache, telemetry, manager deps and the registry. */
export function coreModule(input: CoreModuleInput): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const { config, logger } = input;
    bind<SwitchboardConfig>(TYPES.Config).toConstantValue(config);
    bind<Logger>(TYPES.Logger).toConstantValue(logger);
    bind<SecretRegistry>(TYPES.Secrets).toConstantValue(input.secrets);
    bind<Telemetry>(TYPES.Telemetry).toConstantValue(input.telemetry);
    bind<ModelCatalog>(TYPES.ModelCatalog).toConstantValue(new ModelCatalog(input.catalog));
    bind<ModelCache>(TYPES.ModelCache)
      .toDynamicValue(
        () =>
          new ModelCache({
            max: config.modelCache.max,
            maxMemoryBytes: config.modelCache.maxMemoryBytes,
            ttlMs: config.modelCache.ttlMs,
            onUnloadError: (error, id) => logger.warn('model unload failed', { model: id, error }),
          }),
      )
      .inSingletonScope();
    bind<ManagerDeps>(TYPES.ManagerDeps)
      .toDynamicValue((context) => ({
        modelCache: context.get<ModelCache>(TYPES.ModelCache),
        catalog: context.get<ModelCatalog>(TYPES.ModelCatalog),
        observer: input.telemetry.observer,
        logger,
        secrets: input.secrets,
        resilience: {
          maxRetries: config.resilience.maxRetries,
          maxRetryAfterMs: config.resilience.maxRetryAfterMs,
          baseDelayMs: config.resilience.retryBaseDelayMs,
          maxDelayMs: config.resilience.retryMaxDelayMs,
          timeoutMs: config.resilience.timeoutMs,
          firstChunkTimeoutMs: config.resilience.firstChunkTimeoutMs,
          idleChunkTimeoutMs: config.resilience.idleChunkTimeoutMs,
        },
        responseLimits: {
          maxResponseBytes: config.limits.maxResponseBytes,
          maxStreamBytes: config.limits.maxStreamBytes,
          maxEventBytes: config.limits.maxEventBytes,
        },
        transport: new PooledTransport({ env: input.env }),
        routing: input.routing,
      }))
      .inSingletonScope();
    bind<ModelRegistry>(TYPES.ModelRegistry).to(ModelRegistry).inSingletonScope();
  });
}
