/**
 * `createSwitchboard()`: load and validate config, load the catalog, build the container (the
 * composition root in src/di/), register custom managers and adapters, define the config's bots.
 */
import 'reflect-metadata';
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { AdapterFactory } from './adapters/adapter.js';
import { loadCatalog } from './config/load-catalog.js';
import { loadConfig, type DeepPartial } from './config/load-config.js';
import type { SwitchboardConfig } from './config/types.js';
import { ConfigError } from './core/errors.js';
import { createConsoleLogger, scrubbingLogger, type Logger } from './core/logger.js';
import { processSecrets, SecretRegistry } from './core/secrets.js';
import { buildContainer } from './di/container.js';
import type { BaseLLMManager } from './managers/base-llm-manager.js';
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
  /** Custom managers (providers) registered before the config's bots are defined. */
  managers?: BaseLLMManager[];
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
}

/** Build a ready Switchboard. Invalid config throws ConfigError before any network call. */
export async function createSwitchboard(options: CreateSwitchboardOptions = {}): Promise<Switchboard> {
  // This switchboard's own secrets (config credentials, manager keys), plus what code registered process-wide.
  const secrets = new SecretRegistry(processSecrets);
  const config = await loadConfig({
    secrets,
    config: options.config,
    configFile: options.configFile,
    env: options.env,
    cwd: options.cwd,
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
    llamaOptions: { onLoadProgress: options.onModelLoadProgress },
    circuitClock: options.circuitClock,
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
