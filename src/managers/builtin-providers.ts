/**
 * The one list of built-in providers. Everything that knows which providers exist reads it: the
 * config schema and its checks (src/config), the DI bindings (src/di/providers-module.ts), the docs
 * table (provider-table.ts, docs/providers.md). Adding a provider = its folder plus one line here.
 */
import { anthropicProvider } from './anthropic/anthropic-provider.js';
import { huggingFaceProvider } from './huggingface/huggingface-provider.js';
import { llamaCppProvider } from './llamacpp/llamacpp-provider.js';
import { ollamaProvider } from './ollama/ollama-provider.js';
import { openAICompatibleEndpoints } from './openai-compatible/openai-compatible-endpoints.js';
import { openAIProvider } from './openai/openai-provider.js';
import type { ProvidersConfigOf } from './provider-definition.js';
import { FAKE_PROVIDER_NAME } from '../testing/fake-provider-name.js';

/** Every built-in provider definition, in the order the config schema and the registry list them. */
export const BUILTIN_PROVIDER_DEFINITIONS = [
  openAIProvider,
  anthropicProvider,
  huggingFaceProvider,
  ollamaProvider,
  openAICompatibleEndpoints,
  llamaCppProvider,
] as const;

/**
 * Provider names the library ships outside the list: the testing FakeProvider's, registered at run
 * time (llm-switchboard/testing). Bots in config may name them before they are registered.
 */
export const RUNTIME_PROVIDER_NAMES: readonly string[] = [FAKE_PROVIDER_NAME];

/** The built-in sections of `providers`, typed from the list (`config.providers.openai.apiKey` is a string). */
export type BuiltinProvidersConfig = ProvidersConfigOf<typeof BUILTIN_PROVIDER_DEFINITIONS>;

export type { AnthropicProviderConfig } from './anthropic/anthropic-config.js';
export type { HuggingFaceProviderConfig } from './huggingface/huggingface-config.js';
export type { LlamaCppProviderConfig } from './llamacpp/llamacpp-config.js';
export type { OllamaProviderConfig } from './ollama/ollama-config.js';
export type { OpenAICompatibleConfig } from './openai-compatible/openai-compatible-config.js';
export type { OpenAIProviderConfig } from './openai/openai-config.js';
