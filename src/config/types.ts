/**
 * The configuration shape (API.md "Configuration shape"), after loading, `${ENV}` substitution and
 * validation. The convict schema (schema.ts, built from the provider definitions) is the source of
 * defaults and formats.
 */
import type { CallParams, ModelInfo, RichRequestFields } from '../core/types.js';
import type { BuiltinProvidersConfig } from '../managers/builtin-providers.js';
import type { RoutingConfig } from '../routing/deployment-config.js';

/**
 * All provider settings: the built-in sections, typed from the list of built-in definitions
 * (src/managers/builtin-providers.ts), and the sections of user-land definitions passed to
 * `loadConfig` / `createSwitchboard` as `providers` (unknown here: their managers know their shape).
 */
export type ProvidersConfig = BuiltinProvidersConfig & { [section: string]: unknown };

/** An adapter named in config, with its options. */
export interface AdapterRef {
  name: string;
  options?: Record<string, unknown>;
}

/** Budgets in USD. */
export interface BudgetConfig {
  usdPerDay?: number;
  usdPerSession?: number;
}

/** Conversation memory of a bot's sessions (API.md "Sessions"). */
export interface MemoryConfig {
  /** Most messages a session keeps (oldest dropped first); default 100. */
  maxMessages?: number;
  /** Most tokens of stored history sent with one call (on top of fitting the context window). */
  maxTokens?: number;
}

/** A capability a bot's model may be chosen by (the catalog's `capabilities`). */
export type ModelCapability = keyof ModelInfo['capabilities'];

/**
 * A bot's model chosen by capability instead of named (API.md "Bots"): the cheapest ready,
 * non-deprecated, priced catalog model (input + output USD per million tokens) that has every
 * capability, from `providers` when given, at most `maxInputPerMTok` per million input tokens when
 * given; the next cheapest become the fallbacks unless the bot lists its own.
 */
export interface ModelChoice {
  capabilities: ModelCapability[];
  providers?: string[];
  maxInputPerMTok?: number;
}

/**
 * A bot type as defined (config `bots`, `sb.bots.define`): `model` is a `provider:model` id or a
 * choice by capability, resolved when the bot is defined and again on `registry.refreshModels()`.
 */
export interface BotDefinition extends Omit<BotConfig, 'model' | 'modelChoice'> {
  model: string | ModelChoice;
}

/**
 * A bot type as the switchboard holds it (`sb.bots.get`): `model` and `fallbacks` are ids, resolved
 * from `modelChoice` for a bot defined by capability. Tools, toolChoice, responseFormat ... are
 * defaults its calls may override.
 */
export interface BotConfig extends RichRequestFields {
  model: string;
  /** The requirement `model` and (unless the bot listed its own) `fallbacks` were chosen by. */
  modelChoice?: ModelChoice;
  fallbacks?: string[];
  system?: string;
  params?: CallParams;
  adapters?: AdapterRef[];
  budget?: BudgetConfig;
  /** Session memory: absent or false = off. */
  memory?: MemoryConfig | false;
}

/** A tenant's USD limits per UTC day and calendar month (UTC); an absent limit is not enforced. */
export interface TenantBudgetConfig {
  usdPerDay?: number;
  usdPerMonth?: number;
}

/**
 * What one tenant may do (config `tenants.<id>`, API.md "Deployments and tenants"). With neither
 * allow-list the tenant may call anything; with either, only what its lists match (`*` globs).
 */
export interface TenantConfig {
  budget?: TenantBudgetConfig;
  /** `provider:model` patterns the tenant may call directly, e.g. `<provider>:*`, `<provider>:<family>-*`. */
  allowedModels?: string[];
  /** `bot:<name>` patterns the tenant may call, e.g. `bot:support`, `bot:*`. */
  allowedBots?: string[];
  /** Calls per minute (every route, cache hits included), shared over Redis when configured. */
  rpm?: number;
}

/** A gateway key (`server.apiKeys[]`). */
export interface GatewayKeyConfig {
  key: string;
  tenant: string;
  /** The key may call `bot:<name>` only (a `provider:model` call is a 403). */
  botsOnly?: boolean;
}

/** The whole configuration. */
export interface SwitchboardConfig {
  providers: ProvidersConfig;
  /** Path to the model catalog (config/models.json), or the catalog itself. */
  models: string | Record<string, unknown>;
  bots: Record<string, BotDefinition>;
  /** Tenants by id: budgets, allow-lists, rpm. */
  tenants: Record<string, TenantConfig>;
  /** The per-tenant spend ledger behind `sb.spend()` (day buckets; memory bounded, Redis keys expire). */
  spend: { retentionDays: number; maxTenants: number };
  /** Send calls to a deprecated catalog model to its replacement (default false: warn only). */
  redirectDeprecated: boolean;
  modelCache: { max: number; maxMemoryBytes: number; ttlMs: number };
  responseCache: { enabled: boolean; store: 'memory' | 'redis'; max: number; ttlMs: number; maxBytes: number };
  sessions: { store: 'memory' | 'redis'; ttlMs: number; max: number; maxHistoryBytes: number };
  redis: { url: string; keyPrefix: string; commandTimeoutMs: number };
  /** How providers with `deployments` pick one per attempt, and how long a failing one is skipped. */
  routing: RoutingConfig;
  resilience: {
    maxRetries: number;
    maxRetryAfterMs: number;
    retryBaseDelayMs: number;
    retryMaxDelayMs: number;
    timeoutMs: number;
    firstChunkTimeoutMs: number;
    idleChunkTimeoutMs: number;
    maxConcurrency: number;
    /** Cooldown of a model whose 429 outlived the retries and gave no Retry-After. */
    rateLimitCooldownMs: number;
    circuitBreaker: { failureThreshold: number; cooldownMs: number };
    rateLimits: Record<string, { requestsPerMinute?: number; tokensPerMinute?: number; maxWaitMs?: number }>;
  };
  limits: {
    maxMessages: number;
    maxInputChars: number;
    /** Longest model id or session id a caller may send. */
    maxIdLength: number;
    /** Largest upstream JSON answer in bytes (after decompression). */
    maxResponseBytes: number;
    /** Largest upstream stream in bytes (after decompression). */
    maxStreamBytes: number;
    /** Largest upstream SSE event or NDJSON line in bytes. */
    maxEventBytes: number;
  };
  telemetry: {
    serviceName: string;
    captureContent: boolean;
    /** Dynamic (non-catalog, non-bot) models admitted as metric/stats labels; the rest are "other". */
    maxModelLabels: number;
    logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
    traces: { exporter: 'none' | 'console' | 'otlp'; endpoint: string };
    metrics: { exporter: 'none' | 'prometheus' | 'otlp'; endpoint: string; port: number; intervalMs: number };
  };
  server: {
    host: string;
    port: number;
    apiKeys: GatewayKeyConfig[];
    bodyLimitBytes: number;
    /** The output items `/v1/responses` keeps so that later requests may send `item_reference`s to them. */
    responseItems: { max: number; maxBytes: number; ttlMs: number };
  };
}
