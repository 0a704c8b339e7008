/**
 * Model discovery on an Ollama server: `GET /api/tags` lists the pulled models (with their size on
 * disk), `POST /api/show` tells each one's context length (`model_info["<arch>.context_length"]`)
 * and capabilities.
 */
import type { ModelInfo } from '../../core/types.js';
import { requestOllama, type OllamaHttpOptions } from './ollama-http.js';

/** A server with thousands of tags is not one we can describe model by model: list this many at most. */
const MAX_MODELS = 500;
/** `/api/show` requests in flight at once. */
const SHOW_CONCURRENCY = 4;

interface TagsResponse {
  models?: Array<{ name?: string; model?: string; size?: number }>;
}

interface ShowResponse {
  model_info?: Record<string, unknown>;
  capabilities?: string[];
}

/** What `/api/show` tells about one model. */
export interface OllamaModelDetails {
  contextWindow?: number;
  capabilities?: string[];
}

/** Context length and capabilities of one model; `{}` when the server does not say. */
export async function showModel(http: OllamaHttpOptions, model: string, provider: string): Promise<OllamaModelDetails> {
  const response = await requestOllama(http, '/api/show', { method: 'POST', body: { model } }, { provider, model });
  const body = (await response.json()) as ShowResponse;
  const info = body.model_info ?? {};
  const architecture = info['general.architecture'];
  const length = typeof architecture === 'string' ? info[`${architecture}.context_length`] : undefined;
  const details: OllamaModelDetails = {};
  if (typeof length === 'number' && length > 0) details.contextWindow = length;
  if (Array.isArray(body.capabilities)) details.capabilities = body.capabilities.filter((item) => typeof item === 'string');
  return details;
}

/** Every model the server has pulled, described as far as the server tells. */
export async function discoverOllamaModels(http: OllamaHttpOptions, provider: string): Promise<ModelInfo[]> {
  const response = await requestOllama(http, '/api/tags', { method: 'GET' }, { provider });
  const tags = (await response.json()) as TagsResponse;
  const entries = (tags.models ?? [])
    .map((entry) => ({ name: entry.name ?? entry.model, size: entry.size }))
    .filter((entry): entry is { name: string; size: number | undefined } => typeof entry.name === 'string' && entry.name.length > 0)
    .slice(0, MAX_MODELS);
  const infos: ModelInfo[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const index = next++;
      const entry = entries[index];
      // One model the server cannot describe still belongs in the list, just with less detail.
      const details = await showModel(http, entry.name, provider).catch((): OllamaModelDetails => ({}));
      infos[index] = toModelInfo(provider, entry.name, entry.size, details);
    }
  };
  await Promise.all(Array.from({ length: Math.min(SHOW_CONCURRENCY, entries.length) }, worker));
  return infos;
}

function toModelInfo(provider: string, name: string, size: number | undefined, details: OllamaModelDetails): ModelInfo {
  const capabilities = details.capabilities ?? [];
  const info: ModelInfo = {
    id: `${provider}:${name}`,
    provider,
    model: name,
    capabilities: { streaming: true, tools: capabilities.includes('tools'), vision: capabilities.includes('vision'), json: true, reasoning: capabilities.includes('thinking') },
    local: true,
  };
  if (details.contextWindow !== undefined) info.contextWindow = details.contextWindow;
  if (typeof size === 'number' && size > 0) info.memoryBytes = size;
  return info;
}
