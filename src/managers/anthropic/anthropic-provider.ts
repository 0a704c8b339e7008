/** The built-in `anthropic` provider: Claude models through the official SDK's Messages API. */
import type { ProviderDefinition } from '../provider-definition.js';
import { ANTHROPIC_CONFIG_SCHEMA, ANTHROPIC_ERROR_QUIRKS, ANTHROPIC_ID, validateAnthropicConfig, type AnthropicProviderConfig } from './anthropic-config.js';
import { AnthropicManager } from './anthropic-manager.js';

/** The definition of `providers.anthropic`. */
export const anthropicProvider: ProviderDefinition<'anthropic', AnthropicProviderConfig> = {
  id: ANTHROPIC_ID,
  description: 'Anthropic Messages API (Claude models)',
  configSchema: ANTHROPIC_CONFIG_SCHEMA,
  takesFetch: true,
  errorQuirks: ANTHROPIC_ERROR_QUIRKS,
  validate: validateAnthropicConfig,
  create: (deps, config) => new AnthropicManager(deps, config),
};
