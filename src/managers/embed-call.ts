/**
 * One batch of embeddings on one model, as BaseLLMManager runs it: the side-call loop (side-call.ts:
 * the generation's retry policy, total timeout, abort handling and error mapping, one loop), the model
 * lease of each attempt (a local model's embedding context lives with its instance in the ModelCache),
 * the answer checked inside the attempt (so a malformed one is retried like any failed attempt), usage
 * priced from the catalog, and the `embeddings {model}` span reported once. With deployments, each
 * attempt goes to the one the router picks (side-call.ts), as a generation's attempts do.
 */
import type { ModelLease } from '../cache/model-cache.js';
import { malformedAnswer, type AnswerOrigin } from '../core/answer-errors.js';
import { ProviderError, type LLMError } from '../core/errors.js';
import type { CallContext, CandidateContext, ManagedEmbedding, ModelInfo, ProviderEmbedding, ProviderEmbedRequest } from '../core/types.js';
import { priceUsage } from '../telemetry/cost.js';
import type { EmbeddingRecorder } from '../telemetry/observer.js';
import type { ResilienceSettings } from './model-call.js';
import { runSideCall } from './side-call.js';
import { estimateTokens } from '../resilience/input-limits.js';
import type { DeploymentPool } from '../routing/deployment-pool.js';

/** What a manager lends its embedding batches (built once per manager). */
export interface EmbedPort<TModel> {
  readonly provider: string;
  readonly resilience: ResilienceSettings;
  /** Lease the model for one attempt; `signal` (the attempt's) stops waiting for a slow load. */
  lease(modelId: string, info: ModelInfo, signal: AbortSignal): Promise<ModelLease<TModel>>;
  /** One attempt: the provider's `doEmbed`. */
  embed(model: TModel, request: ProviderEmbedRequest, context: CallContext): Promise<ProviderEmbedding>;
  /** Map what an attempt threw to our errors (its signal tells an abort from a failure). */
  mapError(error: unknown, request: ProviderEmbedRequest, signal: AbortSignal): LLMError;
  /** A `model` an upstream answered with, bounded and cleaned. */
  upstreamField(value: unknown, request: ProviderEmbedRequest): string | undefined;
  /** The provider's deployments, when it has some: each attempt asks them for one (src/routing/). */
  readonly deployments?: DeploymentPool;
}

/** Tokens an embedding batch charges to a deployment's tpm before the answer says (0 when none has a tpm). */
function estimatedInputTokens(pool: DeploymentPool, input: readonly string[]): number {
  if (!pool.chargesTokens) return 0;
  let tokens = 0;
  for (const text of input) tokens += estimateTokens(text);
  return tokens;
}

/**
 * The vectors of an answer, checked: one per input, each a non-empty list of finite numbers, all of
 * one length, that length the one asked for. Anything else is a malformed answer (never cached, never
 * returned); a length other than the one asked for means the provider does not honour `dimensions`.
 */
export function checkEmbeddings(answer: ProviderEmbedding, request: ProviderEmbedRequest, origin: AnswerOrigin): number[][] {
  const vectors: unknown = answer?.embeddings;
  if (!Array.isArray(vectors)) throw malformedAnswer(origin, 'the answer holds no list of embeddings');
  if (vectors.length !== request.input.length) throw malformedAnswer(origin, `${vectors.length} embeddings came back for ${request.input.length} inputs`);
  let length: number | undefined;
  for (const vector of vectors as unknown[]) {
    if (!Array.isArray(vector) || vector.length === 0) throw malformedAnswer(origin, 'an embedding is not a list of numbers');
    // Millions of values per answer: `x - x === 0` holds exactly for finite numbers and stays fast in
    // every realm (Number.isFinite measured 100x slower under jest's VM context).
    for (let index = 0; index < vector.length; index++) {
      const value: unknown = vector[index];
      if (typeof value !== 'number' || value - value !== 0) throw malformedAnswer(origin, 'an embedding holds a value that is not a finite number');
    }
    if (length !== undefined && vector.length !== length) throw malformedAnswer(origin, 'the embeddings of one answer differ in length');
    length = vector.length;
  }
  if (request.dimensions !== undefined && length !== request.dimensions) {
    throw new ProviderError(`${origin.provider}:${origin.model} answered ${length}-dimension embeddings where dimensions ${request.dimensions} was asked: it does not honour dimensions`, {
      provider: origin.provider,
      model: origin.model,
      retryable: false,
    });
  }
  return vectors as number[][];
}

/** Input tokens as reported: a whole number >= 0, else unreported. */
function reportedTokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** Run one batch: attempts with retries, each leasing the model, then the priced result (or the one mapped error). */
export async function runEmbedBatch<TModel>(
  port: EmbedPort<TModel>,
  request: ProviderEmbedRequest,
  context: CandidateContext,
  info: ModelInfo,
  recorder: EmbeddingRecorder,
): Promise<ManagedEmbedding> {
  const started = performance.now();
  const origin = { provider: port.provider, model: request.modelId };
  let attempts = 0;
  const sidePort = {
    resilience: port.resilience,
    where: `${port.provider}:${request.modelId}`,
    mapError: (error: unknown, signal: AbortSignal) => port.mapError(error, request, signal),
    onAttempt: () => {
      attempts++;
      context.onAttempt?.();
    },
    onRetry: (attempt: number, error: LLMError, delayMs: number) => recorder.retry(attempt, error, delayMs),
    routing: port.deployments && { pool: port.deployments, modelId: request.modelId, tokens: estimatedInputTokens(port.deployments, request.input), onDeployment: (name: string, server?: { address: string; port?: number }) => recorder.deployment?.(name, server) },
  };
  try {
    const answer = await runSideCall(sidePort, context.signal, async (signal, deployment) => {
      const lease = await port.lease(request.modelId, info, signal);
      try {
        const attemptContext: CallContext = context.caller === undefined ? { signal } : { signal, caller: context.caller };
        if (deployment) attemptContext.deployment = deployment;
        const value = await port.embed(lease.model, request, attemptContext);
        return { value, embeddings: checkEmbeddings(value, request, origin) };
      } finally {
        lease.release();
      }
    });
    const inputTokens = reportedTokens(answer.value.inputTokens);
    const result: ManagedEmbedding = {
      embeddings: answer.embeddings,
      model: `${port.provider}:${request.modelId}`,
      inputTokens: inputTokens ?? 0,
      usageReported: inputTokens !== undefined,
      costUsd: inputTokens === undefined ? null : priceUsage({ inputTokens, outputTokens: 0, totalTokens: inputTokens }, info.pricing),
      responseModel: port.upstreamField(answer.value.responseModel, request),
      attempts,
      latencyMs: performance.now() - started,
    };
    recorder.end({
      inputTokens: result.inputTokens,
      usageReported: result.usageReported,
      costUsd: result.costUsd,
      dimensions: result.embeddings[0]?.length ?? 0,
      responseModel: result.responseModel,
      attempts,
      latencyMs: result.latencyMs,
    });
    return result;
  } catch (error) {
    recorder.fail(error as LLMError);
    throw error;
  }
}
