/**
 * `sb.embed` (API.md "Embeddings"), start to end: the request checked (embed-request.ts), the model
 * resolved and its provider asked whether it embeds and honours `dimensions` (both refused before any
 * call), a concurrency slot, the response cache (tenant-scoped, when enabled), then the input split
 * into the provider's batches, each admitted like a chat candidate (circuit breaker and rate-limit
 * cooldown, client-side rate limit: candidate-guard.ts) and sent through the manager (retries, total
 * timeout, span, cost: BaseLLMManager.embedResponse), and the vectors joined in input order.
 *
 * One model, no fallbacks: vectors of different models live in different spaces, so answering a batch
 * from another model would corrupt the caller's index. A failed batch fails the call (no partial result).
 */
import { randomUUID } from 'node:crypto';
import { embeddingCacheKey, type ResponseCache } from '../cache/response-cache.js';
import { NEVER_ABORTED } from '../core/abort.js';
import { InvalidRequestError, ProviderError, UnsupportedCapabilityError } from '../core/errors.js';
import type { CallIdentity, EmbedRequest, EmbedResult, ManagedEmbedding } from '../core/types.js';
import { makeUsage } from '../core/usage.js';
import type { ResolvedModel } from '../registry/model-registry.js';
import type { ConcurrencyLimiter } from '../resilience/concurrency-limiter.js';
import { estimateTokens } from '../resilience/input-limits.js';
import { noopEmbedCall, type CallObserver, type EmbedCallRecorder } from '../telemetry/observer.js';
import { admitCandidate, type GuardServices } from './candidate-guard.js';
import { toLLMError } from './call-state.js';
import { normalizeEmbedRequest, type EmbedLimits, type NormalizedEmbed } from './embed-request.js';
import { admitTenantCall, budgetScopeOf } from './tenant-guard.js';
import type { SpendLedger } from '../tenants/spend-ledger.js';

/** What an embedding call runs with (the switchboard's parts). */
export interface EmbedServices extends GuardServices {
  observer: CallObserver;
  concurrency: ConcurrencyLimiter;
  responseCache?: ResponseCache;
  /** Caller-controlled sizes (config `limits`). */
  embedLimits: EmbedLimits;
  /** Where a tenant's finished calls are counted (`sb.spend()`). */
  spend?: SpendLedger;
}

/** A refusal the gateway maps to a 400 naming `field` (the cause says which field, as for chat). */
function refused(field: string, message: string, resolved: ResolvedModel): InvalidRequestError {
  const origin = { provider: resolved.provider, model: resolved.model };
  return new InvalidRequestError(message, { ...origin, cause: new UnsupportedCapabilityError(field, message, origin) });
}

/** The provider embeds, and honours `dimensions` when asked; checked before any network call. */
function checkProvider(call: NormalizedEmbed, resolved: ResolvedModel, services: EmbedServices): number {
  const { manager } = resolved;
  if (!manager.embeds) {
    const embedding = services.registry.allManagers().filter((candidate) => candidate.embeds).map((candidate) => candidate.provider);
    throw refused('model', `Provider "${resolved.provider}" has no embeddings API; embed with a provider that has one (${embedding.slice(0, 20).join(', ') || 'none is registered'})`, resolved);
  }
  const support = manager.embedSupport(resolved.model, call.dimensions);
  if (call.dimensions !== undefined && !support.dimensions) {
    throw refused('dimensions', `${resolved.id} does not take dimensions (its provider does not honour them for this model); leave it out to get the model's own length`, resolved);
  }
  return Math.max(1, Math.floor(support.maxInputs));
}

/** Who the call is for, as managers see it. */
function callerOf(call: NormalizedEmbed): CallIdentity | undefined {
  return call.tenantId === undefined ? undefined : { tenantId: call.tenantId };
}

/** A cached answer usable for this call: its vectors, one per input. */
async function cachedVectors(cache: ResponseCache, key: string, inputs: number, recorder: EmbedCallRecorder): Promise<{ embeddings: number[][]; model: string; responseModel?: string } | undefined> {
  const hit = await cache.lookup(key);
  const usable = hit !== undefined && Array.isArray(hit.embeddings) && hit.embeddings.length === inputs;
  recorder.cacheLookup(usable);
  return usable ? { embeddings: hit.embeddings!, model: hit.model, responseModel: hit.responseModel } : undefined;
}

/** Send the input batch by batch, each admitted through the candidate guard; the vectors joined in order. */
async function embedBatches(call: NormalizedEmbed, resolved: ResolvedModel, batchSize: number, services: EmbedServices, countAttempt: () => void) {
  const { manager } = resolved;
  const info = manager.getModelInfo(resolved.model);
  const caller = callerOf(call);
  // An embedding call is a direct model call: the tenant's own budget, no bot's.
  const budget = budgetScopeOf({ tenantId: call.tenantId }, services.tenants);
  const embeddings: number[][] = [];
  let inputTokens = 0;
  let usageReported = true;
  let costUsd: number | null = 0;
  let responseModel: string | undefined;
  for (let start = 0; start < call.input.length; start += batchSize) {
    const input = call.input.slice(start, start + batchSize);
    let estimate = 0;
    for (const text of input) estimate += estimateTokens(text);
    const admission = await admitCandidate(resolved, info, { inputTokens: estimate, maxOutput: 0 }, services, { signal: call.signal, budget });
    let batch: ManagedEmbedding;
    try {
      batch = await manager.embedResponse(
        { modelId: resolved.model, input, ...(call.dimensions === undefined ? {} : { dimensions: call.dimensions }), ...(call.user === undefined ? {} : { user: call.user }) },
        { signal: call.signal ?? NEVER_ABORTED, modelInfo: info, onAttempt: countAttempt, ...(caller ? { caller } : {}) },
      );
    } catch (error) {
      const mapped = toLLMError(error);
      admission.failed(mapped);
      throw mapped;
    }
    admission.succeeded(batch.costUsd, batch.usageReported ? batch.inputTokens : undefined);
    if (embeddings.length > 0 && batch.embeddings[0]!.length !== embeddings[0]!.length) {
      throw new ProviderError(`${resolved.id} answered embeddings of different lengths in one call`, { provider: resolved.provider, model: resolved.model, retryable: false });
    }
    for (const vector of batch.embeddings) embeddings.push(vector);
    inputTokens += batch.inputTokens;
    usageReported &&= batch.usageReported;
    costUsd = costUsd === null || batch.costUsd === null ? null : costUsd + batch.costUsd;
    responseModel ??= batch.responseModel;
  }
  // Sums of per-batch costs rounded like a single price, so float noise does not show.
  return { embeddings, inputTokens, usageReported, costUsd: costUsd === null ? null : Math.round(costUsd * 1e12) / 1e12, responseModel };
}

/** Run one `sb.embed` call. */
export async function runEmbed(request: EmbedRequest, services: EmbedServices): Promise<EmbedResult> {
  const call = normalizeEmbedRequest(request, services.embedLimits);
  const release = await services.concurrency.acquire(call.signal);
  const started = performance.now();
  let attempts = 0;
  let recorder: EmbedCallRecorder = noopEmbedCall;
  try {
    recorder = services.observer.startEmbedCall?.({ model: call.model, inputs: call.input.length, ...(call.tenantId === undefined ? {} : { tenantId: call.tenantId }) }) ?? noopEmbedCall;
    // The tenant's allowedModels and rpm, before the cache and any upstream call.
    const waiting = admitTenantCall({ tenantId: call.tenantId, candidates: [call.model] }, services.tenants);
    if (waiting) await waiting;
    const resolved = services.registry.resolve(call.model);
    const batchSize = checkProvider(call, resolved, services);
    const cacheKey = services.responseCache && call.useCache ? embeddingCacheKey({ tenant: call.tenantId, model: resolved.id, input: call.input, dimensions: call.dimensions }) : undefined;
    if (cacheKey && services.responseCache) {
      const hit = await cachedVectors(services.responseCache, cacheKey, call.input.length, recorder);
      if (hit) {
        // No provider call: no tokens and no cost, as for a cached generation.
        const result: EmbedResult = { embeddings: hit.embeddings, model: hit.model, usage: { inputTokens: 0 }, costUsd: 0, cached: true, attempts: 0, latencyMs: performance.now() - started };
        if (hit.responseModel !== undefined) result.responseModel = hit.responseModel;
        recorder.end({ model: result.model, inputTokens: 0, costUsd: 0, cached: true, attempts: 0, latencyMs: result.latencyMs });
        if (call.tenantId !== undefined) services.spend?.record(call.tenantId, { costUsd: 0, inputTokens: 0, outputTokens: 0 });
        return result;
      }
    }
    const answer = await embedBatches(call, resolved, batchSize, services, () => attempts++);
    if (cacheKey && services.responseCache) {
      await services.responseCache.save(cacheKey, {
        id: randomUUID(),
        text: '',
        model: resolved.id,
        responseModel: answer.responseModel,
        finishReason: 'stop',
        usage: makeUsage({ inputTokens: answer.inputTokens, outputTokens: 0 }),
        embeddings: answer.embeddings,
      });
    }
    const result: EmbedResult = {
      embeddings: answer.embeddings,
      model: resolved.id,
      usage: { inputTokens: answer.inputTokens },
      costUsd: answer.usageReported ? answer.costUsd : null,
      cached: false,
      attempts,
      latencyMs: performance.now() - started,
    };
    if (answer.responseModel !== undefined) result.responseModel = answer.responseModel;
    recorder.end({ model: result.model, inputTokens: answer.inputTokens, costUsd: result.costUsd, cached: false, attempts, latencyMs: result.latencyMs });
    if (call.tenantId !== undefined) services.spend?.record(call.tenantId, { costUsd: result.costUsd, inputTokens: answer.inputTokens, outputTokens: 0 });
    return result;
  } catch (error) {
    const mapped = toLLMError(error);
    recorder.fail(mapped, attempts);
    throw mapped;
  } finally {
    release();
  }
}
