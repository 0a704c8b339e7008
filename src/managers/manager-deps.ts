/**
 * What a manager is built with and what it reports about itself: its deps (from the DI container or
 * built by hand in tests), the token measure of a request, the capabilities its wire format carries.
 */
import type { ModelCache } from '../cache/model-cache.js';
import type { RequiredCapability } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import type { ModelCatalog } from '../registry/model-catalog.js';
import type { CallObserver } from '../telemetry/observer.js';
import type { ResponseLimits } from '../transport/bounded-fetch.js';
import type { UpstreamTransport } from '../transport/transport.js';
import type { RateLimitStore } from '../resilience/rate-limit-store.js';
import type { DeploymentCooldownStore } from '../routing/cooldown-store.js';
import type { RoutingConfig } from '../routing/deployment-config.js';
import type { ResilienceSettings } from './model-call.js';

/** What every manager is built with; the DI container supplies it, tests may build it by hand. */
export interface ManagerDeps {
  modelCache: ModelCache;
  catalog: ModelCatalog;
  observer: CallObserver;
  logger: Logger;
  resilience: ResilienceSettings;
  /** Bounds on upstream answers (config `limits`); absent in hand-built deps: DEFAULT_RESPONSE_LIMITS. */
  responseLimits?: ResponseLimits;
  /**
   * The switchboard's secret registry: managers register their credentials here and upstream text is
   * scrubbed with it. Absent in hand-built deps: the process-wide registry is used.
   */
  secrets?: SecretRegistry;
  /**
   * The switchboard's connection pools (src/transport/): hosted managers send through it unless
   * their config gives a `fetch`. Absent in hand-built deps: the process-wide transport is used.
   */
  transport?: UpstreamTransport;
  /**
   * How providers with `deployments` route (config `routing`) and where their cooldowns and rpm/tpm
   * buckets are shared (Redis, when configured). Absent in hand-built deps: the defaults, per process.
   */
  routing?: { settings?: RoutingConfig; cooldowns?: DeploymentCooldownStore; rateLimits?: RateLimitStore; random?: () => number };
}

/** Inputs per embedding request for a provider that names no batch size of its own. */
export const DEFAULT_EMBED_BATCH = 256;

/**
 * A request's tokens as a model counts them: each message's (chat-format overhead included) and the
 * rest of the request (reply priming, tool definitions). `exact` is false when part of it was estimated
 * (images, whose size is not known here).
 */
export interface TokenMeasure {
  perMessage: number[];
  fixed: number;
  exact: boolean;
}

/** What a manager's wire format carries besides text (BaseLLMManager.supports). */
export type ProviderSupport = Partial<Record<RequiredCapability, boolean>>;
