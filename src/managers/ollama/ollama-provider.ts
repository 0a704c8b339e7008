/** The built-in `ollama` provider: a native Ollama server over plain fetch. */
import type { ProviderDefinition } from '../provider-definition.js';
import { OLLAMA_CONFIG_SCHEMA, OLLAMA_FORMATS, OLLAMA_ID, validateOllamaConfig, type OllamaProviderConfig } from './ollama-config.js';
import { OllamaManager } from './ollama-manager.js';

/**
 * The definition of `providers.ollama`. No error quirks: failures are plain HTTP statuses with
 * Ollama's `{ "error": "..." }` body, mapped where they are read (ollama-http.ts).
 */
export const ollamaProvider: ProviderDefinition<'ollama', OllamaProviderConfig> = {
  id: OLLAMA_ID,
  description: 'A native Ollama server (`/api/chat`, `/api/generate`, discovery from `/api/tags`)',
  configSchema: OLLAMA_CONFIG_SCHEMA,
  formats: OLLAMA_FORMATS,
  takesFetch: true,
  validate: validateOllamaConfig,
  create: (deps, config) => new OllamaManager(deps, config),
};
