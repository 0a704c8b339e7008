/**
 * The generate path (ARCHITECTURE.md "One request", steps 4-7): response cache, the candidate loop,
 * output adapters, the GenerateResult.
 */
import type { ResponseCache } from '../cache/response-cache.js';
import type { GenerateResult, ManagedResult } from '../core/types.js';
import { CandidateCursor } from './candidates.js';
import type { GuardServices } from './candidate-guard.js';
import { cacheableAnswer, toLLMError, type CallState } from './call-state.js';
import { parsedOutput } from './request-needs.js';
import type { PlanServices } from './call-plan.js';
import { rememberTurn } from './session-memory.js';

/** Services a call runs with. */
export interface RunServices extends GuardServices {
  responseCache?: ResponseCache;
  sessions: PlanServices['sessions'];
}

/**
 * Call candidates in order until one answers, and answers in the shape asked for: a JSON answer that
 * does not parse or validate is a failed attempt of its candidate (it was answered and paid for, so
 * its ticket settles as a success), and the next candidate is tried.
 */
async function answerFromCandidates(state: CallState, services: RunServices): Promise<{ managed: ManagedResult; object: unknown }> {
  const cursor = new CandidateCursor(state, services);
  const format = state.plan.request.responseFormat;
  for (;;) {
    const ticket = await cursor.next();
    let managed: ManagedResult;
    try {
      managed = await ticket.resolved.manager.generateResponse({ ...ticket.request, modelId: ticket.resolved.model }, state.candidateContext(ticket.info));
    } catch (error) {
      const mapped = toLLMError(error);
      ticket.failed(mapped);
      cursor.failed(mapped);
      continue;
    }
    ticket.succeeded(managed);
    if (!format || format.type === 'text') return { managed, object: undefined };
    try {
      return { managed, object: parsedOutput(format, managed) };
    } catch (error) {
      cursor.failed(toLLMError(error));
    }
  }
}

/** The whole answer: cache, candidates, output adapters. Failures are thrown as they are (the caller reports them). */
export async function runGenerate(state: CallState, services: RunServices): Promise<GenerateResult> {
  const { plan } = state;
  if (state.cacheKey && services.responseCache) {
    const hit = await services.responseCache.lookup(state.cacheKey);
    state.recorder.cacheLookup(hit !== undefined);
    if (hit) {
      const cached = state.finishFromCache(hit, await plan.chain.transformOutput(hit.text, plan.adapterContext));
      await rememberTurn(plan.memory, cached, services.sessions, services.logger);
      return cached;
    }
  }
  const { managed, object } = await answerFromCandidates(state, services);
  // No adapters (a model target): no async step at all.
  const text = plan.chain.isEmpty ? managed.text : await plan.chain.transformOutput(managed.text, plan.adapterContext);
  if (state.cacheKey && services.responseCache) {
    const answer = cacheableAnswer(managed);
    if (answer) await services.responseCache.save(state.cacheKey, answer);
  }
  const result = state.finishFromProvider(managed, text, object);
  await rememberTurn(plan.memory, result, services.sessions, services.logger);
  return result;
}
