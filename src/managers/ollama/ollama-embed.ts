/**
 * Embeddings on the native Ollama API: `POST /api/embed` through the manager's hand-written HTTP client
 * (ollama-http.ts: header timeout, bounded bodies, `{ "error" }` bodies by status). The texts go as one
 * list; the answer is `{ embeddings, prompt_eval_count }`. `truncate: false`: a text longer than the
 * model's context is an error the caller hears, not an embedding of its first part. `dimensions` is sent
 * as asked (Ollama truncates and renormalises for models trained for it; a vector of another length
 * is refused by the batch check).
 *
 * Batch size 512: Ollama sets no bound of its own, and a batch is one request and one span.
 */
import type { AnswerOrigin } from '../../core/answer-errors.js';
import { malformedAnswer } from '../../core/answer-errors.js';
import { ProviderError } from '../../core/errors.js';
import type { ProviderEmbedding, ProviderEmbedRequest } from '../../core/types.js';
import { requestOllama, type OllamaHttpOptions } from './ollama-http.js';
import { toKeepAlive } from './ollama-wire.js';

/** Texts per `/api/embed` request. */
export const OLLAMA_EMBED_MAX_INPUTS = 512;

/** One batch through `/api/embed`. */
export async function ollamaEmbed(http: OllamaHttpOptions, request: ProviderEmbedRequest, keepAlive: string, signal: AbortSignal, origin: AnswerOrigin): Promise<ProviderEmbedding> {
  const body: Record<string, unknown> = { model: request.modelId, input: request.input, truncate: false };
  const keep = toKeepAlive(keepAlive);
  if (keep !== undefined) body.keep_alive = keep;
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  const response = await requestOllama(http, '/api/embed', { method: 'POST', body, signal }, origin);
  const answer = JSON.parse(await response.text()) as { embeddings?: unknown; prompt_eval_count?: unknown; model?: unknown; error?: unknown } | null;
  if (typeof answer !== 'object' || answer === null) throw malformedAnswer(origin, 'the answer is not a JSON object');
  if (typeof answer.error === 'string') throw new ProviderError(`${origin.provider}:${origin.model} failed: ${answer.error}`, { provider: origin.provider, model: origin.model, retryable: false });
  const result: ProviderEmbedding = { embeddings: answer.embeddings as number[][] };
  if (typeof answer.prompt_eval_count === 'number') result.inputTokens = answer.prompt_eval_count;
  if (typeof answer.model === 'string') result.responseModel = answer.model;
  return result;
}
