/**
 * The built-in `openai` provider: api.openai.com (or any server speaking its API, through
 * OPENAI_BASE_URL), with an optional organization header.
 */
import { configField } from '../../config/schema-fields.js';
import { openAICompatibleProvider } from '../openai-compatible/openai-compatible-provider.js';
import type { ProviderDefinition } from '../provider-definition.js';
import { OPENAI_PROVIDER, type OpenAIProviderConfig } from './openai-config.js';

const base = openAICompatibleProvider({
  id: OPENAI_PROVIDER.id,
  description: 'OpenAI chat completions (api.openai.com, or any server speaking its API)',
  defaultBaseURL: OPENAI_PROVIDER.defaultBaseURL,
  apiKeyEnv: OPENAI_PROVIDER.apiKeyEnv,
  baseURLEnv: OPENAI_PROVIDER.baseURLEnv,
});

/** The definition of `providers.openai`. */
export const openAIProvider: ProviderDefinition<'openai', OpenAIProviderConfig> = {
  ...base,
  configSchema: {
    ...base.configSchema,
    organization: configField<string | undefined>(undefined, 'sb-optional-string', 'OpenAI organization id'),
  },
};
