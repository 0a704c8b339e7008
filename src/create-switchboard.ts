/**
 * `createSwitchboard()`: load and validate config (or take one already loaded), load the catalog,
 * build the container (the composition root in src/di/) with the managers of every provider
 * definition, register custom managers and adapters, define the config's bots.
 */
import 'reflect-metadata';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { AdapterFactory } from './adapters/adapter.js';
import { loadCatalog } from './config/load-catalog.js';
import { configModelFor } from './config/config-model.js';
import { loadConfig, type DeepPartial } from './config/load-config.js';
import { registerSectionSecrets } from './config/provider-sections.js';
import { registerConfigSecrets } from './config/register-config-secrets.js';
import type { SwitchboardConfig } from './config/types.js';
import { ConfigError, InvalidRequestError } from './core/errors.js';
import { createConsoleLogger, scrubbingLogger, type Logger } from './core/logger.js';
import { processSecrets, SecretRegistry } from './core/secrets.js';
import { buildContainer } from './di/container.js';
import type { UserStores } from './di/stores.js';
import type { BaseLLMManager } from './managers/base-llm-manager.js';
import type { ProviderDefinition } from './managers/provider-definition.js';
import type { Switchboard } from './switchboard.js';
import { createTelemetry } from './telemetry/telemetry.js';

/** Options of `createSwitchboard`. */
export interface CreateSwitchboardOptions {
  /** Partial config; merges over config files (environment variables still win). */
  config?: DeepPartial<SwitchboardConfig>;
  /** Config file(s) instead of config/default.json + config/<NODE_ENV>.json. */
  configFile?: string | string[];
  /** Tracer provider; default: the @opentelemetry/api global. */
  tracerProvider?: TracerProvider;
  /** Meter provider; default: the @opentelemetry/api global. */
  meterProvider?: MeterProvider;
  /** Where the library logs; default JSON lines on stderr at `telemetry.logLevel`. */
  logger?: Logger;
  /** Custom adapters registered before the config's bots are defined. */
  adapters?: Record<string, AdapterFactory>;
  /**
   * Already-built managers (providers) registered before the config's bots are defined: for a
   * provider you construct yourself (a test double, one with its own wiring). Bots in config may name
   * them. A provider with its own config section is a definition instead (`providers`).
   */
  managers?: BaseLLMManager[];
  /**
   * User-land provider definitions (docs/adding-a-provider.md): each adds its config section
   * `providers.<id>` (defaults, environment variables, checks from its schema) and its managers, next
   * to the built-ins. No source edit needed.
   */
  providers?: readonly ProviderDefinition[];
  /**
   * Stores of your own (SessionStore, ResponseCacheStore, BudgetStore, RateLimitStore), used instead
   * of the memory or Redis ones config picks. `sb.close()` closes them.
   */
  stores?: UserStores;
  /**
   * A config `loadConfig` returned, used as it is instead of loading again (then `config`,
   * `configFile` and `env` must be absent). Load it with the same `providers` you pass here.
   */
  loadedConfig?: SwitchboardConfig;
  /** Environment to read instead of process.env (tests). */
  env?: NodeJS.ProcessEnv;
  /** Directory config paths are relative to; default process.cwd(). */
  cwd?: string;
  /** Called while a local model loads (0..1); the CLI draws a progress bar with it. */
  onModelLoadProgress?: (modelId: string, progress: number) => void;
  /**
   * Monotonic clock in ms of the circuit breakers and their rate-limit cooldowns; default
   * `performance.now`. Tests pass a manual clock to step through cooldowns by counting, not waiting.
   */
  circuitClock?: () => number;
  /** Random source in [0, 1) of deployment routing (`weighted`, exploration); default Math.random. Tests seed it. */
  routingRandom?: () => number;
}

/** Build a ready Switchboard. Invalid config throws ConfigError before any network call. */
export async function createSwitchboard(options: CreateSwitchboardOptions = {}): Promise<Switchboard> {
  // This switchboard's own secrets (config credentials, manager keys), plus what code registered process-wide.
  const secrets = new SecretRegistry(processSecrets);
  const model = configModelFor(options.providers);
  const config = options.loadedConfig ? adoptLoadedConfig(options, model.definitions, secrets) : await loadConfig({
    secrets,
    config: options.config,
    configFile: options.configFile,
    env: options.env,
    cwd: options.cwd,
    providers: options.providers,
    // Bots in config may name providers that arrive as custom managers.
    extraProviders: options.managers?.map((manager) => manager.provider),
  });
  const catalog = await loadCatalog(config.models, options.cwd);
  const logger = options.logger ? scrubbingLogger(options.logger, secrets) : createConsoleLogger(config.telemetry.logLevel, undefined, secrets);
  const telemetry = createTelemetry({
    tracerProvider: options.tracerProvider,
    meterProvider: options.meterProvider,
    captureContent: config.telemetry.captureContent,
    logger,
    secrets,
    maxModelLabels: config.telemetry.maxModelLabels,
  });
  const { switchboard } = await buildContainer({
    config,
    catalog,
    logger,
    telemetry,
    secrets,
    definitions: model.definitions,
    createOptions: { onModelLoadProgress: options.onModelLoadProgress },
    stores: options.stores,
    circuitClock: options.circuitClock,
    routingRandom: options.routingRandom,
  });
  try {
    for (const manager of options.managers ?? []) switchboard.registry.register(manager);
    // Managers know checks the schema cannot express (a key with a line break inside, a bad endpoint).
    const problems = switchboard.registry.allManagers().flatMap((manager) => manager.validateConfig().problems);
    if (problems.length > 0) throw new ConfigError(problems);
    // Local model files (GGUF in llamacpp.modelsDir) are listed from the first call on: a scan, nothing loaded.
    for (const failure of await switchboard.registry.scanLocalModels()) logger.warn('listing local models failed', { ...failure });
    for (const [name, factory] of Object.entries(options.adapters ?? {})) switchboard.adapters.register(name, factory);
    switchboard.bots.defineAll(config.bots);
  } catch (error) {
    await switchboard.close();
    throw error;
  }
  return switchboard;
}

/**
 * A config loaded before (the gateway and `switchboard serve` load it once for their own settings):
 * its credentials are registered with this switchboard's registry, as a load would have done, and
 * every definition's section must be there (a config loaded without a user-land definition is not
 * one this switchboard can serve).
 */
function adoptLoadedConfig(options: CreateSwitchboardOptions, definitions: readonly ProviderDefinition[], secrets: SecretRegistry): SwitchboardConfig {
  const config = options.loadedConfig!;
  const loading = (['config', 'configFile', 'env'] as const).filter((key) => options[key] !== undefined);
  if (loading.length > 0) {
    throw new InvalidRequestError(`createSwitchboard: pass either loadedConfig or options to load one (${loading.join(', ')}), not both`);
  }
  const missing = definitions.filter((definition) => config.providers?.[definition.id] === undefined).map((definition) => `providers.${definition.id}`);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((key) => ({ key, message: 'is missing from loadedConfig: load it with loadConfig({ providers }) naming the same provider definitions' })));
  }
  registerConfigSecrets(config, secrets);
  registerSectionSecrets(config, definitions, secrets);
  return config;
}
