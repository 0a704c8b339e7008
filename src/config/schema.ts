/**
 * The convict schema of SwitchboardConfig: every key with its default, format and environment
 * variable. The `providers` part is built from provider definitions (src/managers/builtin-providers.ts
 * plus user-land ones): each object section is its definition's `configSchema` (and a `fetch` leaf
 * when it takes one), each map section one `Object` leaf whose entries provider-sections.ts checks.
 * Maps with user-chosen keys (`bots`, `rateLimits`) use convict's `Object` format; validate-config.ts
 * checks their entries.
 */
import type convict from 'convict';
import type { SwitchboardConfig } from './types.js';
import type { ProviderDefinition } from '../managers/provider-definition.js';
import { configField, fetchField, registerConfigFormats, type ConfigSchemaNode } from './schema-fields.js';
import { DEFAULT_RESPONSE_LIMITS } from '../transport/bounded-fetch.js';
import { ROUTING_STRATEGIES, type RoutingStrategy } from '../routing/deployment-config.js';

/** A core leaf, positionally (the core sections are long tables; positions keep them readable). */
function field<T>(defaultValue: T, format: string | readonly string[] | ObjectConstructor, doc: string, env?: string, sensitive = false): convict.SchemaObj<T> {
  return configField(defaultValue, format, doc, { env, sensitive });
}

/** Log levels `telemetry.logLevel` accepts. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** Stores a cache or the sessions can live in. */
export const STORES = ['memory', 'redis'] as const;

/** Every section but `providers`: defaults, formats and environment variables. */
const CORE_SCHEMA: convict.Schema<Omit<SwitchboardConfig, 'providers'>> = {
  models: field<string | Record<string, unknown>>('config/models.json', 'sb-models', 'Catalog file path (relative to cwd) or the catalog itself'),
  bots: field({}, Object, 'Bot types by name'),
  tenants: field({}, Object, 'Tenants by id: { budget?: { usdPerDay?, usdPerMonth? }, allowedModels?, allowedBots?, rpm? }'),
  spend: {
    retentionDays: field(400, 'sb-int-min1', 'Days of per-tenant spend kept (memory day buckets; Redis key expiry)'),
    maxTenants: field(10000, 'sb-int-min1', 'Most tenants whose spend the memory ledger keeps (least recently charged dropped first)'),
  },
  redirectDeprecated: field(false, 'sb-boolean', 'Send calls to a deprecated catalog model to its replacement (false: warn once per model)'),
  modelCache: {
    max: field(16, 'sb-int-min1', 'Most model instances kept loaded'),
    maxMemoryBytes: field(0, 'sb-int-min0', 'Memory bound of loaded local models; 0 = count bound only'),
    ttlMs: field(0, 'sb-int-min0', 'Unload a model unused this long; 0 = never'),
  },
  responseCache: {
    enabled: field(false, 'sb-boolean', 'Serve identical requests from the cache'),
    store: field<'memory' | 'redis'>('memory', STORES, 'Where cached responses live'),
    max: field(10000, 'sb-int-min1', 'Most cached responses (memory store)'),
    ttlMs: field(3600000, 'sb-int-min0', 'How long a response stays cached; 0 = until evicted'),
    maxBytes: field(64 * 1024 * 1024, 'sb-int-min1', 'Memory bound of the memory store, in bytes'),
  },
  sessions: {
    store: field<'memory' | 'redis'>('memory', STORES, 'Where sessions live'),
    ttlMs: field(1800000, 'sb-int-min1', 'Session lifetime since last use'),
    max: field(100000, 'sb-int-min1', 'Most live sessions (memory store)'),
    maxHistoryBytes: field(1048576, 'sb-int-min1', 'Most bytes of conversation memory kept per session (bots with memory)'),
  },
  redis: {
    url: field('', 'sb-redis-url', 'redis:// or rediss:// URL; needed by any store set to "redis"', 'REDIS_URL', true),
    keyPrefix: field('switchboard:', 'sb-string', 'Prefix of every Redis key'),
    commandTimeoutMs: field(1000, 'sb-int-min1', 'Longest wait for one Redis command; past it the store call fails (RedisStoreError)'),
  },
  routing: {
    strategy: field<RoutingStrategy>('least-busy', ROUTING_STRATEGIES, 'How a provider with deployments picks one per attempt: least-busy, weighted, usage-based, latency-based'),
    cooldownMs: field(30000, 'sb-int-min1', 'How long a deployment answering 5xx, failing to connect or 429 without Retry-After is skipped'),
    latencyExploration: field(0.1, 'sb-fraction', 'latency-based: probability of trying a random healthy deployment instead of the fastest'),
  },
  resilience: {
    maxRetries: field(2, 'sb-retries', 'Retries per candidate model after the first attempt'),
    maxRetryAfterMs: field(60000, 'sb-int-min0', 'Longest Retry-After honoured; longer goes to the next candidate'),
    retryBaseDelayMs: field(500, 'sb-int-min0', 'First backoff delay'),
    retryMaxDelayMs: field(8000, 'sb-int-min0', 'Backoff cap'),
    timeoutMs: field(60000, 'sb-int-min1', 'Total time per call and candidate'),
    firstChunkTimeoutMs: field(30000, 'sb-int-min1', 'Longest wait for the first stream chunk'),
    idleChunkTimeoutMs: field(30000, 'sb-int-min1', 'Longest silence between stream chunks'),
    maxConcurrency: field(256, 'sb-int-min1', 'Calls in flight at once, process-wide'),
    rateLimitCooldownMs: field(1000, 'sb-int-min1', 'How long a model answering 429 without Retry-After is skipped after its retries'),
    circuitBreaker: {
      failureThreshold: field(5, 'sb-int-min1', 'Consecutive failures that open a circuit'),
      cooldownMs: field(30000, 'sb-int-min1', 'Time before an open circuit lets a probe through'),
    },
    rateLimits: field({}, Object, 'Client-side limits by provider: { requestsPerMinute?, tokensPerMinute?, maxWaitMs? }'),
  },
  limits: {
    maxMessages: field(500, 'sb-int-min1', 'Most messages in one request'),
    maxInputChars: field(400000, 'sb-int-min1', 'Most characters of input in one request'),
    maxIdLength: field(256, 'sb-int-min1', 'Longest model id or session id a caller may send; longer is refused before any upstream call'),
    maxResponseBytes: field(DEFAULT_RESPONSE_LIMITS.maxResponseBytes, 'sb-int-min1', 'Largest upstream JSON answer, in bytes (after decompression); larger fails the attempt'),
    maxStreamBytes: field(DEFAULT_RESPONSE_LIMITS.maxStreamBytes, 'sb-int-min1', 'Largest upstream stream, in bytes (after decompression); larger fails the attempt'),
    maxEventBytes: field(DEFAULT_RESPONSE_LIMITS.maxEventBytes, 'sb-int-min1', 'Largest single upstream SSE event or NDJSON line, in bytes'),
  },
  telemetry: {
    serviceName: field('llm-switchboard', 'sb-nonempty-string', 'service.name of spans and metrics', 'OTEL_SERVICE_NAME'),
    captureContent: field(false, 'sb-boolean', 'Record message content in spans (off by default)', 'SWITCHBOARD_CAPTURE_CONTENT'),
    maxModelLabels: field(200, 'sb-int-min1', 'Models outside the catalog and bots that may become metric and stats labels (after answering); the rest count as "other"'),
    logLevel: field<SwitchboardConfig['telemetry']['logLevel']>('warn', LOG_LEVELS, 'Least severe level logged', 'SWITCHBOARD_LOG_LEVEL'),
    traces: {
      exporter: field<'none' | 'console' | 'otlp'>('none', ['none', 'console', 'otlp'], 'Where the gateway sends traces'),
      endpoint: field('', 'sb-optional-http-url', 'OTLP endpoint; empty = the exporter default'),
    },
    metrics: {
      exporter: field<'none' | 'prometheus' | 'otlp'>('none', ['none', 'prometheus', 'otlp'], 'Where the gateway sends metrics'),
      endpoint: field('', 'sb-optional-http-url', 'OTLP endpoint; empty = the exporter default'),
      port: field(9464, 'sb-port', 'Port of the Prometheus exporter'),
      intervalMs: field(60000, 'sb-int-min1', 'OTLP metric export interval'),
    },
  },
  server: {
    host: field('127.0.0.1', 'sb-nonempty-string', 'Gateway listen address', 'SWITCHBOARD_HOST'),
    port: field(8787, 'sb-port', 'Gateway listen port', 'SWITCHBOARD_PORT'),
    apiKeys: field<SwitchboardConfig['server']['apiKeys']>([], 'sb-array', 'Gateway keys: [{ key, tenant, botsOnly? }]; none = loopback only'),
    bodyLimitBytes: field(1048576, 'sb-int-min1', 'Largest request body; larger gets 413 before parsing'),
    responseItems: {
      max: field(10000, 'sb-int-min1', 'Most output items of /v1/responses answers kept for item_reference (in process)'),
      maxBytes: field(32 * 1024 * 1024, 'sb-int-min1', 'Memory bound of the kept items: the sum of their JSON lengths'),
      ttlMs: field(3600000, 'sb-int-min1', 'How long an answer\'s items stay resolvable after it was written (in process and in Redis)'),
    },
  },
};

/** The `providers` part of the schema for these definitions. */
function providersSchema(definitions: readonly ProviderDefinition[]): ConfigSchemaNode {
  const out: ConfigSchemaNode = {};
  for (const definition of definitions) {
    if (definition.section === 'map') {
      out[definition.id] = field({}, Object, `${definition.description}: { <name>: { ${Object.keys(definition.configSchema).join(', ')} } }`);
    } else {
      out[definition.id] = definition.takesFetch ? { ...definition.configSchema, fetch: fetchField() } : { ...definition.configSchema };
    }
  }
  return out;
}

/**
 * The whole schema for a list of provider definitions (the built-ins first, then user-land ones;
 * provider-sections.ts checks the list itself). Registers the formats the definitions bring.
 */
export function buildConfigSchema(definitions: readonly ProviderDefinition[]): convict.Schema<SwitchboardConfig> {
  for (const definition of definitions) if (definition.formats) registerConfigFormats(definition.formats);
  return { providers: providersSchema(definitions), ...CORE_SCHEMA } as unknown as convict.Schema<SwitchboardConfig>;
}
