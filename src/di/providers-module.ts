/**
 * One binding per provider: every manager is bound under TYPES.LLMManager and the registry
 * collects them with @multiInject. Adding a provider = one line here.
 */
import { ContainerModule } from 'inversify';
import type { SwitchboardConfig } from '../config/types.js';
import type { BaseLLMManager, ManagerDeps } from '../managers/base-llm-manager.js';
import { AnthropicManager } from '../managers/anthropic/anthropic-manager.js';
import { HuggingFaceManager } from '../managers/huggingface/huggingface-manager.js';
import { LlamaCppManager, type LlamaCppManagerOptions } from '../managers/llamacpp/llamacpp-manager.js';
import { OllamaManager } from '../managers/ollama/ollama-manager.js';
import { OpenAICompatibleManager } from '../managers/openai-compatible/openai-compatible-manager.js';
import { OpenAIManager } from '../managers/openai/openai-manager.js';
import { TYPES } from './identifiers.js';

/** Binds the built-in managers and one OpenAI-compatible manager per configured endpoint. */
export function providersModule(config: SwitchboardConfig, llamaOptions: LlamaCppManagerOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const manager = (build: (deps: ManagerDeps) => BaseLLMManager) =>
      bind<BaseLLMManager>(TYPES.LLMManager)
        .toDynamicValue((context) => build(context.get<ManagerDeps>(TYPES.ManagerDeps)))
        .inSingletonScope();
    const { providers } = config;
    manager((deps) => new OpenAIManager(deps, providers.openai));
    manager((deps) => new AnthropicManager(deps, providers.anthropic));
    manager((deps) => new HuggingFaceManager(deps, providers.huggingface));
    manager((deps) => new OllamaManager(deps, providers.ollama));
    manager((deps) => new LlamaCppManager(deps, providers.llamacpp, llamaOptions));
    for (const [name, endpoint] of Object.entries(providers.openaiCompatible)) {
      manager((deps) => new OpenAICompatibleManager(deps, name, endpoint));
    }
  });
}
