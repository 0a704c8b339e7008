/**
 * The convict schema of SwitchboardConfig: every key with its default, format and environment
 * variable. Formats are named (`sb-*`) and registered with convict so that environment strings are
 * coerced strictly ("8787" -> 8787, "12abc" stays a string and is reported), and so that the same
 * checks run on values from files and programmatic config (schema-check.ts).
 * Maps with user-chosen keys (`bots`, `openaiCompatible`, `rateLimits`, `llamacpp.pricing`) use
 * convict's `Object` format; validate-config.ts checks their entries.
 */
import convict from 'convict';
import type { SwitchboardConfig } from './types.js';
import {
  checkBoolean,
  checkKeepAlive,
  checkListenPort,
  checkNonEmptyString,
  checkOptionalFunction,
  checkOptionalString,
  checkRedisUrl,
  checkString,
  httpUrlCheck,
  intCheck,
  type FieldCheck,
} from './field-checks.js';
import { isPlainObject } from './problems.js';
import { DEFAULT_RESPONSE_LIMITS } from '../transport/bounded-fetch.js';

/** A named format: its check, and how an environment-variable string becomes a value. */
interface NamedFormat {
  check: FieldCheck;
  coerce?: (raw: string) => unknown;
}

/** Whole numbers only: parseInt would turn "12abc" into 12 and hide the mistake. */
function coerceInt(raw: string): unknown {
  return /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : raw;
}

/** convict's own boolean coercion makes "0" and "no" true. */
function coerceBoolean(raw: string): unknown {
  if (/^\s*(true|1|yes|on)\s*$/i.test(raw)) return true;
  if (/^\s*(false|0|no|off)\s*$/i.test(raw)) return false;
  return raw;
}

/** OLLAMA_HOST is often `0.0.0.0`, `host:port` or a bare host, as Ollama itself accepts. */
function coerceOllamaHost(raw: string): unknown {
  const value = raw.trim();
  if (value === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  const [host, port] = value.split(/:(?=\d+$)/) as [string, string | undefined];
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host;
  return `http://${reachable}:${port ?? '11434'}`;
}

/** Every named format; schema-check.ts looks checks up here. */
export const FORMATS: Record<string, NamedFormat> = {
  'sb-string': { check: checkString },
  'sb-nonempty-string': { check: checkNonEmptyString },
  'sb-optional-string': { check: checkOptionalString },
  'sb-boolean': { check: checkBoolean, coerce: coerceBoolean },
  'sb-int-min0': { check: intCheck(0), coerce: coerceInt },
  'sb-int-min1': { check: intCheck(1), coerce: coerceInt },
  'sb-retries': { check: intCheck(0, 20), coerce: coerceInt },
  'sb-port': { check: checkListenPort, coerce: coerceInt },
  'sb-http-url': { check: httpUrlCheck(false) },
  'sb-optional-http-url': { check: httpUrlCheck(true) },
  'sb-ollama-url': { check: httpUrlCheck(false), coerce: coerceOllamaHost },
  'sb-redis-url': { check: checkRedisUrl },
  'sb-keep-alive': { check: checkKeepAlive },
  'sb-function': { check: checkOptionalFunction },
  'sb-models': {
    check: (v) =>
      (typeof v === 'string' && v.trim() !== '') || isPlainObject(v) ? undefined : 'must be the path of a catalog file or a catalog object',
  },
  'sb-array': { check: (v) => (Array.isArray(v) ? undefined : 'must be an array') },
};

for (const [name, format] of Object.entries(FORMATS)) {
  convict.addFormat({
    name,
    validate: (value: unknown) => {
      const problem = format.check(value);
      if (problem) throw new Error(problem);
    },
    ...(format.coerce ? { coerce: format.coerce } : {}),
  });
}

/** A leaf of the schema. */
function field<T>(defaultValue: T, format: string | readonly string[] | ObjectConstructor, doc: string, env?: string, sensitive = false): convict.SchemaObj<T> {
  const node: convict.SchemaObj<T> = { default: defaultValue, format: Array.isArray(format) ? [...format] : format, doc };
  if (env) node.env = env;
  if (sensitive) node.sensitive = true;
  return node;
}

const TIMEOUT_DOC = 'Total time for one request to this provider, in ms';
const FETCH_DOC = 'A fetch function handed to the SDK (programmatic config only)';

/** Log levels `telemetry.logLevel` accepts. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
/** Stores a cache or the sessions can live in. */
export const STORES = ['memory', 'redis'] as const;

/** The schema: defaults, formats and environment variables of every key. */
export const configSchema: convict.Schema<SwitchboardConfig> = {
  providers: {
    openai: {
      apiKey: field('', 'sb-string', 'OpenAI API key; empty = provider not ready', 'OPENAI_API_KEY', true),
      baseURL: field('https://api.openai.com/v1', 'sb-http-url', 'OpenAI API base URL', 'OPENAI_BASE_URL'),
      timeoutMs: field(60000, 'sb-int-min1', TIMEOUT_DOC),
      organization: field<string | undefined>(undefined, 'sb-optional-string', 'OpenAI organization id'),
      fetch: field<typeof fetch | undefined>(undefined, 'sb-function', FETCH_DOC),
    },
    anthropic: {
      apiKey: field('', 'sb-string', 'Anthropic API key; empty = provider not ready', 'ANTHROPIC_API_KEY', true),
      baseURL: field('https://api.anthropic.com', 'sb-http-url', 'Anthropic API base URL', 'ANTHROPIC_BASE_URL'),
      timeoutMs: field(60000, 'sb-int-min1', TIMEOUT_DOC),
      defaultMaxTokens: field(1024, 'sb-int-min1', 'max_tokens when neither the request nor the bot sets maxTokens'),
      fetch: field<typeof fetch | undefined>(undefined, 'sb-function', FETCH_DOC),
    },
    huggingface: {
      apiKey: field('', 'sb-string', 'HuggingFace token; empty = provider not ready', 'HF_TOKEN', true),
      endpointUrl: field('', 'sb-optional-http-url', 'A dedicated Inference Endpoint / TGI URL; empty = Inference Providers', 'HF_ENDPOINT_URL'),
      timeoutMs: field(60000, 'sb-int-min1', TIMEOUT_DOC),
      fetch: field<typeof fetch | undefined>(undefined, 'sb-function', FETCH_DOC),
    },
    ollama: {
      baseURL: field('http://127.0.0.1:11434', 'sb-ollama-url', 'Ollama server URL', 'OLLAMA_HOST'),
      timeoutMs: field(60000, 'sb-int-min1', TIMEOUT_DOC),
      keepAlive: field('', 'sb-keep-alive', "Ollama keep_alive, e.g. '5m'; empty = server default"),
      fetch: field<typeof fetch | undefined>(undefined, 'sb-function', FETCH_DOC),
    },
    openaiCompatible: field({}, Object, 'Named OpenAI-compatible endpoints: { name: { baseURL, apiKey, timeoutMs? } }'),
    llamacpp: {
      modelsDir: field('./models', 'sb-nonempty-string', 'Directory of GGUF files (llamacpp:<file name without .gguf>)', 'LLAMACPP_MODELS_DIR'),
      threads: field(0, 'sb-int-min0', "CPU threads; 0 = the machine's available parallelism"),
      gpu: field(false, 'sb-boolean', 'Offload to a GPU when one is available'),
      contextSize: field(4096, 'sb-int-min1', 'Context size of each loaded model, in tokens'),
      pricing: field<Record<string, { inputPerMTok: number; outputPerMTok: number }> | undefined>(
        undefined,
        Object,
        'Prices per million tokens for local models, by model name',
      ),
    },
  },
  models: field<string | Record<string, unknown>>('config/models.json', 'sb-models', 'Catalog file path (relative to cwd) or the catalog itself'),
  bots: field({}, Object, 'Bot types by name'),
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
  },
  redis: {
    url: field('', 'sb-redis-url', 'redis:// or rediss:// URL; needed by any store set to "redis"', 'REDIS_URL', true),
    keyPrefix: field('switchboard:', 'sb-string', 'Prefix of every Redis key'),
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
    apiKeys: field<Array<{ key: string; tenant: string }>>([], 'sb-array', 'Gateway keys: [{ key, tenant }]; none = loopback only'),
    bodyLimitBytes: field(1048576, 'sb-int-min1', 'Largest request body; larger gets 413 before parsing'),
  },
};
