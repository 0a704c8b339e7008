/** The built-in `llamacpp` provider: local GGUF files run in this process through node-llama-cpp. */
import type { ProviderDefinition } from '../provider-definition.js';
import { LLAMACPP_CONFIG_SCHEMA, LLAMACPP_ID, validateLlamaCppConfig, type LlamaCppProviderConfig } from './llamacpp-config.js';
import { LlamaCppManager } from './llamacpp-manager.js';

/**
 * The definition of `providers.llamacpp`. No fetch (nothing goes over the network) and no error
 * quirks (its failures are our own errors, raised where they happen).
 */
export const llamaCppProvider: ProviderDefinition<'llamacpp', LlamaCppProviderConfig> = {
  id: LLAMACPP_ID,
  description: 'Local GGUF models run in this process through node-llama-cpp (an optional peer dependency)',
  configSchema: LLAMACPP_CONFIG_SCHEMA,
  validate: validateLlamaCppConfig,
  create: (deps, config, options) => new LlamaCppManager(deps, config, { onLoadProgress: options.onModelLoadProgress }),
};
