/**
 * `openAICompatibleProvider()`: the definition of a hosted provider that speaks OpenAI's API, with
 * its own section, default base URL and key variable; the whole folder of such a provider is one
 * call (docs/adding-a-provider.md):
 *
 *     export const mistralProvider = openAICompatibleProvider({
 *       id: 'mistral', description: 'Mistral La Plateforme', defaultBaseURL: 'https://api.mistral.ai/v1', apiKeyEnv: 'MISTRAL_API_KEY',
 *     });
 *
 * Its section `providers.<id>` holds `apiKey` (from `apiKeyEnv`), `baseURL`, `timeoutMs` and a
 * programmatic `fetch`; without a key the provider is not ready and names `apiKeyEnv`.
 */
import { configField } from '../../config/schema-fields.js';
import { mergeErrorQuirks, type ErrorQuirks } from '../../core/error-mapping.js';
import { OPENAI_SDK_ERROR_QUIRKS, validateOpenAIConfig, type OpenAIProviderConfig } from '../openai/openai-config.js';
import { OpenAIManager } from '../openai/openai-manager.js';
import type { ProviderDefinition } from '../provider-definition.js';
import { transportField } from '../../transport/transport-config.js';
import { deploymentsField } from '../../routing/deployment-config.js';

/** What makes one OpenAI-compatible provider different from another. */
export interface OpenAICompatibleProviderOptions<TId extends string> {
  /** Config section and provider name: `providers.<id>`, models `<id>:<model>`. */
  id: TId;
  /** One line for the docs table. */
  description: string;
  /** The API's base URL, `/v1` included (e.g. `https://api.mistral.ai/v1`). */
  defaultBaseURL: string;
  /** The environment variable holding the key (e.g. `MISTRAL_API_KEY`). */
  apiKeyEnv: string;
  /** An environment variable that overrides the base URL, if the provider has a customary one. */
  baseURLEnv?: string;
  /** Departures from plain HTTP beyond the openai SDK's own (e.g. an extra retryable status). */
  errorQuirks?: ErrorQuirks;
}

/** The doc of `timeoutMs` (the whole call is bounded by `resilience.timeoutMs` too). */
const TIMEOUT_DOC = 'Total time for one request to this provider, in ms';

/** The definition of a provider speaking OpenAI's API through the official `openai` SDK. */
export function openAICompatibleProvider<TId extends string>(options: OpenAICompatibleProviderOptions<TId>): ProviderDefinition<TId, OpenAIProviderConfig> {
  const { id, apiKeyEnv } = options;
  const errorQuirks = mergeErrorQuirks(OPENAI_SDK_ERROR_QUIRKS, options.errorQuirks);
  return {
    id,
    description: options.description,
    takesFetch: true,
    errorQuirks,
    configSchema: {
      apiKey: configField('', 'sb-string', `API key of ${id}; empty = provider not ready`, { env: apiKeyEnv, sensitive: true }),
      baseURL: configField(options.defaultBaseURL, 'sb-http-url', `API base URL of ${id}`, { env: options.baseURLEnv }),
      timeoutMs: configField(60000, 'sb-int-min1', TIMEOUT_DOC),
      transport: transportField(),
      deployments: deploymentsField(),
    },
    validate: (config, path) => validateOpenAIConfig(config, path),
    create: (deps, config) => new OpenAIManager(deps, config, { provider: id, apiKeyEnv, configPath: `providers.${id}`, errorQuirks }),
  };
}
