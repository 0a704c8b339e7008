/** The built-in `huggingface` provider: Inference Providers by model id, or a dedicated endpoint / TGI. */
import type { ProviderDefinition } from '../provider-definition.js';
import { HUGGINGFACE_CONFIG_SCHEMA, HUGGINGFACE_ID, validateHuggingFaceConfig, type HuggingFaceProviderConfig } from './huggingface-config.js';
import { HuggingFaceManager } from './huggingface-manager.js';

/**
 * The definition of `providers.huggingface`. No error quirks: the manager turns the library's HTTP
 * errors into plain status errors itself (huggingface-errors.ts) and its aborts are the standard AbortError.
 */
export const huggingFaceProvider: ProviderDefinition<'huggingface', HuggingFaceProviderConfig> = {
  id: HUGGINGFACE_ID,
  description: 'HuggingFace Inference Providers (`huggingface:org/model`) or a dedicated Inference Endpoint / TGI server',
  configSchema: HUGGINGFACE_CONFIG_SCHEMA,
  takesFetch: true,
  validate: validateHuggingFaceConfig,
  create: (deps, config) => new HuggingFaceManager(deps, config),
};
