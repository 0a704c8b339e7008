/**
 * The composition root: the only place that builds the Inversify container and resolves from it.
 */
import 'reflect-metadata';
import { Container } from 'inversify';
import type { SwitchboardConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import type { ProviderCreateOptions, ProviderDefinition } from '../managers/provider-definition.js';
import type { CatalogEntry } from '../registry/model-catalog.js';
import type { Switchboard } from '../switchboard.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { coreModule } from './core-module.js';
import { TYPES } from './identifiers.js';
import { pipelineModule } from './pipeline-module.js';
import { providersModule } from './providers-module.js';
import { createStores, type UserStores } from './stores.js';

/** What the root is built from. */
export interface ContainerInput {
  config: SwitchboardConfig;
  catalog: Record<string, CatalogEntry>;
  logger: Logger;
  telemetry: Telemetry;
  /** The switchboard's secret registry (managers, stores and telemetry scrub with it). */
  secrets: SecretRegistry;
  /** Every provider definition the config was loaded with (built-ins first); each one's managers are bound. */
  definitions: readonly ProviderDefinition[];
  /** Programmatic options handed to each definition's `create`. */
  createOptions?: ProviderCreateOptions;
  /** Stores given by the caller, used instead of the ones config would pick. */
  stores?: UserStores;
  /** Clock of the circuit breakers (createSwitchboard's `circuitClock`). */
  circuitClock?: () => number;
  /** Random source of deployment routing (createSwitchboard's `routingRandom`). */
  routingRandom?: () => number;
}

/** Build the container and resolve the Switchboard. */
export async function buildContainer(input: ContainerInput): Promise<{ container: Container; switchboard: Switchboard }> {
  const stores = await createStores(input.config, input.logger, input.secrets, input.stores);
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(
    coreModule({
      config: input.config,
      catalog: input.catalog,
      logger: input.logger,
      telemetry: input.telemetry,
      secrets: input.secrets,
      // Deployment cooldowns and rpm/tpm buckets are shared through the same stores as the rate limits.
      routing: { settings: input.config.routing, cooldowns: stores.deploymentCooldowns, rateLimits: stores.rateLimits, random: input.routingRandom },
    }),
    providersModule(input.config, input.definitions, input.createOptions),
    pipelineModule(input.config, stores, { circuitClock: input.circuitClock }),
  );
  return { container, switchboard: container.get<Switchboard>(TYPES.Switchboard) };
}
