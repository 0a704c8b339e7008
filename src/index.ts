/**
 * llm-switchboard: public exports only. See API.md for the surface these names form.
 */
import 'reflect-metadata';

export { createSwitchboard, type CreateSwitchboardOptions } from './create-switchboard.js';
export { Switchboard, type BatchOptions, type SwitchboardServices } from './switchboard.js';
export * from './core/types.js';
export * from './core/errors.js';
export { mapProviderError, errorFromStatus, parseRetryAfter, mergeErrorQuirks, type ErrorOrigin, type ErrorQuirks } from './core/error-mapping.js';
export { registerSecret, scrubSecrets, scrubKeyShapes, SecretRegistry } from './core/secrets.js';
export { createConsoleLogger, silentLogger, type Logger, type LogLevel } from './core/logger.js';
export { makeUsage } from './core/usage.js';
export { BaseLLMManager, type ManagerDeps, type ResilienceSettings, type ProviderSupport, type TokenMeasure } from './managers/base-llm-manager.js';
export {
  envOf,
  envVariablesOf,
  missingSettingReason,
  secretFieldsOf,
  validationOf,
  type ProviderConfigOf,
  type ProviderCreateOptions,
  type ProviderDefinition,
  type ProvidersConfigOf,
} from './managers/provider-definition.js';
export {
  BUILTIN_PROVIDER_DEFINITIONS,
  type AnthropicProviderConfig,
  type BuiltinProvidersConfig,
  type HuggingFaceProviderConfig,
  type LlamaCppProviderConfig,
  type OllamaProviderConfig,
  type OpenAICompatibleConfig,
  type OpenAIProviderConfig,
} from './managers/builtin-providers.js';
export { renderProvidersTable } from './managers/provider-table.js';
export { openAICompatibleProvider, type OpenAICompatibleProviderOptions } from './managers/openai-compatible/openai-compatible-provider.js';
export { openAIProvider } from './managers/openai/openai-provider.js';
export { anthropicProvider } from './managers/anthropic/anthropic-provider.js';
export { huggingFaceProvider } from './managers/huggingface/huggingface-provider.js';
export { ollamaProvider } from './managers/ollama/ollama-provider.js';
export { openAICompatibleEndpoints } from './managers/openai-compatible/openai-compatible-endpoints.js';
export { llamaCppProvider } from './managers/llamacpp/llamacpp-provider.js';
export { OpenAIManager, type OpenAIManagerOptions } from './managers/openai/openai-manager.js';
export { OpenAICompatibleManager } from './managers/openai-compatible/openai-compatible-manager.js';
export { AnthropicManager } from './managers/anthropic/anthropic-manager.js';
export { HuggingFaceManager } from './managers/huggingface/huggingface-manager.js';
export { OllamaManager } from './managers/ollama/ollama-manager.js';
export { LlamaCppManager, type LlamaCppManagerOptions } from './managers/llamacpp/llamacpp-manager.js';
export { ModelRegistry, type ResolvedModel } from './registry/model-registry.js';
export { ModelCatalog, splitModelId, type CatalogEntry } from './registry/model-catalog.js';
export { ModelCache, type ModelCacheOptions, type ModelOwner, type ModelLease } from './cache/model-cache.js';
export { ResponseCache, MemoryResponseStore, responseCacheKey, type ResponseCacheStore, type CachedAnswer } from './cache/response-cache.js';
export type { Adapter, AdapterContext, AdapterFactory, StreamTransformer } from './adapters/adapter.js';
export { AdapterManager } from './adapters/adapter-manager.js';
export { BotRegistry } from './bots/bot-registry.js';
export * from './prompts/index.js';
export { SessionManager, MemorySessionStore, MemoryHistoryStore, type Session, type SessionStore, type StartSessionOptions, type HistoryStore, type HistoryLimits, type HistoryScope } from './sessions/index.js';
export type { CountTokensRequest, TokenCount } from './pipeline/count-tokens.js';
export { loadConfig, loadCatalog, configField, fetchField, type DeepPartial, type LoadConfigOptions, type ConfigFieldOptions, type ConfigLeaf, type ConfigSchemaNode, type NamedFormat } from './config/index.js';
export type { UserStores } from './di/stores.js';
export type { BudgetStore } from './resilience/budget.js';
export type { RateLimitStore } from './resilience/rate-limit-store.js';
export { MemorySpendStore, type SpendStore, type SpendTotals } from './tenants/spend-store.js';
export type { SpendQuery } from './tenants/spend-ledger.js';
export type * from './config/types.js';
export { createTelemetry, type Telemetry } from './telemetry/telemetry.js';
export type { StatsSnapshot, ActiveCall, TenantStats } from './telemetry/stats.js';
export type { ModelDeprecatedEvent } from './telemetry/events.js';
export { priceUsage } from './telemetry/cost.js';
export type { CallObserver, CallRecorder, InferenceRecorder, EmbedCallRecorder, EmbeddingRecorder } from './telemetry/observer.js';
export { TYPES } from './di/identifiers.js';
export {
  RedisSessionStore,
  RedisResponseStore,
  RedisBudgetStore,
  RedisRateLimitStore,
  RedisSpendStore,
  RedisHistoryStore,
  RedisStoreError,
  createRedisClient,
  closeRedisClient,
} from './stores/redis/index.js';
