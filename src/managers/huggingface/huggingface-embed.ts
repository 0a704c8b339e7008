/**
 * Embeddings through `@huggingface/inference`'s `featureExtraction`: a dedicated endpoint / TEI server
 * (`endpointUrl`: the library POSTs `{ inputs }` to it) or Inference Providers by model id (the library
 * looks the model's provider up on the hub, then calls it). The texts always go as a list, so the answer
 * is a list of pooled vectors whatever the server; token-level features (a model without pooling) are
 * refused by name. The library reports no usage: input tokens stay unreported and cost null.
 *
 * Batch size 32: TEI's default `--max-client-batch-size`; bigger batches get its 413 / 422.
 */
import { InferenceClientProviderOutputError, type InferenceClient } from '@huggingface/inference';
import { malformedAnswer, type AnswerOrigin } from '../../core/answer-errors.js';
import { ProviderError } from '../../core/errors.js';
import type { ProviderEmbedding, ProviderEmbedRequest } from '../../core/types.js';
import { adaptHuggingFaceError } from './huggingface-errors.js';
import type { ResponseTap } from './response-tap.js';

/** Texts per feature-extraction request (TEI's default client batch bound). */
export const HUGGINGFACE_EMBED_MAX_INPUTS = 32;

/** The answer for a list of texts as one vector per text: `number[][]`, or one `number[]` for a single text. */
export function pooledVectors(output: unknown, inputs: number, origin: AnswerOrigin): number[][] {
  if (!Array.isArray(output)) throw malformedAnswer(origin, 'the feature-extraction answer is not a list');
  if (inputs === 1 && output.every((value) => typeof value === 'number')) return [output as number[]];
  if (output.some((vector) => Array.isArray(vector) && vector.some((value) => Array.isArray(value)))) {
    throw new ProviderError(`${origin.provider}:${origin.model} answered token-level features (the model does not pool them into one vector per text); use a sentence-embedding model`, {
      provider: origin.provider,
      model: origin.model,
      retryable: false,
    });
  }
  return output as number[][];
}

/** One batch of feature extraction; library failures in our terms (HTTP status kept, an unreadable 200 malformed). */
export async function featureExtractionEmbeddings(client: InferenceClient, model: string, request: ProviderEmbedRequest, tap: ResponseTap, signal: AbortSignal, origin: AnswerOrigin): Promise<ProviderEmbedding> {
  let output: unknown;
  try {
    output = await client.featureExtraction({ model, inputs: request.input }, { retry_on_error: false, signal, fetch: tap.fetch });
  } catch (error) {
    if (error instanceof InferenceClientProviderOutputError) throw malformedAnswer(origin, 'the body is not a list of vectors');
    throw adaptHuggingFaceError(error, tap.headers);
  }
  return { embeddings: pooledVectors(output, request.input.length, origin) };
}
