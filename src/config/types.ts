/**
 * The configuration shape (API.md "Configuration shape"), after loading, `${ENV}` substitution and
 * validation. The convict schema in schema.ts is the source of defaults and formats.
 */
import type { CallParams } from '../core/types.js';

/** Any provider the official `openai` SDK talks to. */
export interface OpenAIProviderConfig {
  apiKey: string;
  baseURL: string;
  timeoutMs: number;
  organization?: string;
  /** Handed to the SDK (proxies, custom agents, tests); programmatic config only. */
  fetch?: typeof fetch;
}

/** Anthropic messages API. */
export interface AnthropicProviderConfig {
  apiKey: string;
  baseURL: string;
  timeoutMs: number;
  /** Anthropic requires max_tokens; used when neither request nor bot sets maxTokens. */
  defaultMaxTokens: number;
  fetch?: typeof fetch;
}

/** HuggingFace Inference Providers or a dedicated endpoint / TGI. */
export interface HuggingFaceProviderConfig {
  apiKey: string;
  endpointUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** A native Ollama server. */
export interface OllamaProviderConfig {
  baseURL: string;
  timeoutMs: number;
  /** Ollama's keep_alive (e.g. "5m"); empty = server default. */
  keepAlive: string;
  fetch?: typeof fetch;
}

/** One named OpenAI-compatible endpoint (vLLM, llama.cpp server, LM Studio, Together, Groq ...). */
export interface OpenAICompatibleConfig {
  baseURL: string;
  apiKey: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Local GGUF models through node-llama-cpp. */
export interface LlamaCppProviderConfig {
  modelsDir: string;
  /** 0 = the machine's available parallelism. */
  threads: number;
  gpu: boolean;
  contextSize: number;
  /** Prices per million tokens for local models, by model name (usually absent: cost null). */
  pricing?: Record<string, { inputPerMTok: number; outputPerMTok: number }>;
}

/** All provider settings. */
export interface ProvidersConfig {
  openai: OpenAIProviderConfig;
  anthropic: AnthropicProviderConfig;
  huggingface: HuggingFaceProviderConfig;
  ollama: OllamaProviderConfig;
  openaiCompatible: Record<string, OpenAICompatibleConfig>;
  llamacpp: LlamaCppProviderConfig;
}

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

/** A bot type as written in config. */
export interface BotConfig {
  model: string;
  fallbacks?: string[];
  system?: string;
  params?: CallParams;
  adapters?: AdapterRef[];
  budget?: BudgetConfig;
}

/** The whole configuration. */
export interface SwitchboardConfig {
  providers: ProvidersConfig;
  /** Path to the model catalog (config/models.json), or the catalog itself. */
  models: string | Record<string, unknown>;
  bots: Record<string, BotConfig>;
  modelCache: { max: number; maxMemoryBytes: number; ttlMs: number };
  responseCache: { enabled: boolean; store: 'memory' | 'redis'; max: number; ttlMs: number; maxBytes: number };
  sessions: { store: 'memory' | 'redis'; ttlMs: number; max: number };
  redis: { url: string; keyPrefix: string };
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
  server: { host: string; port: number; apiKeys: Array<{ key: string; tenant: string }>; bodyLimitBytes: number };
}
