/**
 * Steps 4-7 for a complete answer: response cache, candidates in order (primary, then fallbacks)
 * through their guards, output adapters, and the GenerateResult.
 */
import { randomUUID } from 'node:crypto';
import { CircuitOpenError, LLMError, ProviderError } from '../core/errors.js';
import { EMPTY_USAGE } from '../core/usage.js';
import type { CallContext, GenerateResult, ManagedResult, ModelInfo } from '../core/types.js';
import type { CachedAnswer, ResponseCache } from '../cache/response-cache.js';
import type { CallRecorder } from '../telemetry/observer.js';
import type { CallPlan } from './call-plan.js';
import { enterCandidate, shouldFallBack, type GuardServices } from './candidate-guard.js';
import { NEVER_ABORTED } from '../core/abort.js';

/** Services a call runs with. */
export interface RunServices extends GuardServices {
  responseCache?: ResponseCache;
}

/** Per-call state shared by the generate and stream paths. */
export interface RunState {
  plan: CallPlan;
  recorder: CallRecorder;
  started: number;
  /** Provider attempts so far across candidates. */
  attempts: number;
  cacheKey?: string;
}

/** The context managers receive for one candidate (`modelInfo`: what the guard already resolved for it). */
export function managerContext(state: RunState, signal: AbortSignal, modelInfo?: ModelInfo): CallContext {
  const { plan } = state;
  return {
    modelInfo,
    bot: plan.bot,
    sessionId: plan.sessionId,
    userId: plan.userId,
    tenantId: plan.tenantId,
    metadata: plan.adapterContext.metadata,
    signal,
    onAttempt: () => {
      state.attempts++;
    },
    telemetryParent: state.recorder.parent,
  };
}

/** Build the public result and report it. */
export function finishCall(state: RunState, answer: Omit<GenerateResult, 'latencyMs' | 'attempts' | 'adapters'>): GenerateResult {
  const result: GenerateResult = {
    id: answer.id,
    text: answer.text,
    model: answer.model,
    responseModel: answer.responseModel,
    finishReason: answer.finishReason,
    usage: answer.usage,
    costUsd: answer.costUsd,
    cached: answer.cached,
    attempts: state.attempts,
    adapters: state.plan.chain.names,
    latencyMs: performance.now() - state.started,
  };
  state.recorder.end(result);
  return result;
}

/** The result of a cache hit: no provider call, so no tokens and no cost. */
export function resultFromCache(state: RunState, hit: CachedAnswer, text: string): GenerateResult {
  return finishCall(state, {
    id: randomUUID(),
    text,
    model: hit.model,
    responseModel: hit.responseModel,
    finishReason: hit.finishReason,
    usage: { ...EMPTY_USAGE },
    costUsd: 0,
    cached: true,
  });
}

/** What to cache from a managed result: only complete, successful answers. */
export function cacheableAnswer(result: ManagedResult): CachedAnswer | undefined {
  if (result.finishReason === 'error' || result.finishReason === 'content-filter') return undefined;
  return { id: result.id ?? randomUUID(), text: result.text, model: result.model, responseModel: result.responseModel, finishReason: result.finishReason, usage: result.usage };
}

/** Try candidates in order; returns the first success or throws the last failure. */
export async function runCandidates(state: RunState, services: RunServices): Promise<ManagedResult> {
  const { plan } = state;
  let lastError: LLMError | undefined;
  for (let index = 0; index < plan.candidates.length; index++) {
    const candidate = plan.candidates[index];
    try {
      const ticket = await enterCandidate(plan, candidate, services);
      try {
        const result = await ticket.resolved.manager.generateResponse(
          { ...plan.request, modelId: ticket.resolved.model },
          managerContext(state, plan.signal ?? NEVER_ABORTED, ticket.info),
        );
        ticket.succeeded(result);
        return result;
      } catch (error) {
        const mapped = toLLMError(error);
        ticket.failed(mapped);
        throw mapped;
      }
    } catch (error) {
      const mapped = toLLMError(error);
      lastError = mapped;
      const next = plan.candidates[index + 1];
      if (!next || !shouldFallBack(mapped)) throw mapped;
      state.recorder.fallback(candidate, next, mapped);
    }
  }
  throw lastError ?? new CircuitOpenError('No candidate model could be tried');
}

/** Anything thrown becomes an LLMError (bugs included, so callers always get our shape). */
export function toLLMError(error: unknown): LLMError {
  if (LLMError.isInstance(error)) return error;
  return new ProviderError(`Unexpected failure: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** The generate path: cache, candidates, output adapters. */
export async function runGenerate(state: RunState, services: RunServices): Promise<GenerateResult> {
  const { plan } = state;
  if (state.cacheKey && services.responseCache) {
    const hit = await services.responseCache.lookup(state.cacheKey);
    state.recorder.cacheLookup(hit !== undefined);
    if (hit) return resultFromCache(state, hit, await plan.chain.transformOutput(hit.text, plan.adapterContext));
  }
  const managed = await runCandidates(state, services);
  // No adapters (a model target): no async step at all.
  const text = plan.chain.isEmpty ? managed.text : await plan.chain.transformOutput(managed.text, plan.adapterContext);
  if (state.cacheKey && services.responseCache) {
    const answer = cacheableAnswer(managed);
    if (answer) await services.responseCache.save(state.cacheKey, answer);
  }
  return finishFromProvider(state, managed, text);
}

/** The public result of a provider answer whose output adapters produced `text`. */
export function finishFromProvider(state: RunState, managed: ManagedResult, text: string): GenerateResult {
  return finishCall(state, {
    id: managed.id ?? randomUUID(),
    text,
    model: managed.model,
    responseModel: managed.responseModel,
    finishReason: managed.finishReason,
    usage: managed.usage,
    costUsd: managed.costUsd,
    cached: false,
  });
}
