/**
 * The named OpenAI-compatible endpoints: a map section, `providers.openaiCompatible.<name>` being
 * the provider `<name>` (models `<name>:<model>`). Config only: a new endpoint needs no code.
 */
import { configField } from '../../config/schema-fields.js';
import { validateOpenAIConfig } from '../openai/openai-config.js';
import type { ProviderDefinition } from '../provider-definition.js';
import { transportField } from '../../transport/transport-config.js';
import { deploymentsField } from '../../routing/deployment-config.js';
import { COMPATIBLE_SECTION, type OpenAICompatibleConfig } from './openai-compatible-config.js';
import { COMPATIBLE_ENDPOINT_QUIRKS, OpenAICompatibleManager } from './openai-compatible-manager.js';

/** The definition of `providers.openaiCompatible` (one manager per entry). */
export const openAICompatibleEndpoints: ProviderDefinition<'openaiCompatible', Record<string, OpenAICompatibleConfig>> = {
  id: COMPATIBLE_SECTION,
  description: 'Named OpenAI-compatible endpoints (vLLM, llama.cpp server, LM Studio, Together, Groq ...), config only: each entry is a provider',
  section: 'map',
  takesFetch: true,
  errorQuirks: COMPATIBLE_ENDPOINT_QUIRKS,
  formats: {
    // Local servers take no key, so an empty one is the normal case, not "not ready".
    'sb-endpoint-key': { check: (v) => (typeof v === 'string' ? undefined : 'must be a string (empty when the endpoint needs no key)') },
  },
  configSchema: {
    baseURL: configField<string>(null, 'sb-http-url', "The server's base URL, e.g. http://127.0.0.1:8000/v1"),
    apiKey: configField('', 'sb-endpoint-key', 'API key; empty = none is sent', { sensitive: true }),
    timeoutMs: configField<number | undefined>(undefined, 'sb-int-min1', "Longest wait for the response headers, in ms; absent = the SDK's default"),
    transport: transportField(),
    deployments: deploymentsField(),
  },
  validate: (endpoints, path) => Object.entries(endpoints).flatMap(([name, endpoint]) => validateOpenAIConfig(endpoint, `${path}.${name}`)),
  create: (deps, endpoints) => Object.entries(endpoints).map(([name, endpoint]) => new OpenAICompatibleManager(deps, name, endpoint)),
};
