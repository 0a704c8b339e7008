/**
 * One call from its start to its end, shared by the generate and stream paths: the plan (session,
 * bot, adapters, request), its telemetry, its response-cache key, the attempts made so far, and how
 * it ends (the public GenerateResult, or the one LLMError reported and thrown).
 */
import { randomUUID } from 'node:crypto';
import type { CachedAnswer, ResponseCache } from '../cache/response-cache.js';
import { responseCacheKey } from '../cache/response-cache.js';
import { NEVER_ABORTED } from '../core/abort.js';
import { LLMError, ProviderError } from '../core/errors.js';
import type { AssistantMessage, CallIdentity, CandidateContext, GenerateResult, ManagedResult, ModelInfo, ReasoningBlock, ToolCall } from '../core/types.js';
import { parsedOutput } from './request-needs.js';
import { EMPTY_USAGE } from '../core/usage.js';
import type { Session } from '../sessions/session-store.js';
import type { CallObserver, CallRecorder } from '../telemetry/observer.js';
import type { SpendLedger } from '../tenants/spend-ledger.js';
import type { TenantPolicy } from '../tenants/tenant-policy.js';
import { planCall, planModelCall, type CallPlan, type PlanServices } from './call-plan.js';
import type { NormalizedCall } from './normalize-request.js';
import { admitTenantCall } from './tenant-guard.js';

/** What a call ended with, before the call's own facts (attempts, adapters, latency) are added. */
export interface FinishedAnswer {
  id: string;
  text: string;
  model: string;
  responseModel?: string;
  finishReason: GenerateResult['finishReason'];
  usage: GenerateResult['usage'];
  costUsd: number | null;
  cached: boolean;
  toolCalls: ToolCall[];
  reasoning?: ReasoningBlock[];
  object?: unknown;
  /** The stop sequence that ended the answer, when the provider said which one did. */
  stopSequence?: string;
}

/** What starting a call needs: the planner's services, the observer, the response cache and the tenant rules. */
export interface CallServices extends PlanServices {
  observer: CallObserver;
  responseCache?: ResponseCache;
  /** Configured tenants: checked once the call is planned, before the cache or any candidate. */
  tenants?: TenantPolicy;
  /** Where a tenant's finished calls are counted (`sb.spend()`). */
  spend?: SpendLedger;
}

/** What a caller that already resolved part of the call hands over (the gateway: the session it read). */
export interface ResolvedCall {
  /** The live session the call's `sessionId` names, read by the caller: not read again. */
  session?: Session;
}

/** Per-call state shared by the generate and stream paths. */
export class CallState {
  /** Provider attempts so far across candidates (retries and fallbacks included). */
  attempts = 0;
  /** Counts one attempt; handed to managers (one closure per call, not per candidate). */
  readonly countAttempt = (): void => {
    this.attempts++;
  };
  /** The deployment the current candidate's last attempt went to (providers with deployments); reset per candidate. */
  lastDeployment: string | undefined;
  /** Notes an attempt's deployment; handed to managers like `countAttempt`. */
  readonly noteDeployment = (name: string): void => {
    this.lastDeployment = name;
  };

  constructor(
    readonly plan: CallPlan,
    readonly recorder: CallRecorder,
    readonly started: number,
    readonly cacheKey: string | undefined,
    private readonly spend?: SpendLedger,
  ) {
    const caller: CallIdentity = {};
    if (plan.bot !== undefined) caller.bot = plan.bot;
    if (plan.sessionId !== undefined) caller.sessionId = plan.sessionId;
    if (plan.userId !== undefined) caller.userId = plan.userId;
    if (plan.tenantId !== undefined) caller.tenantId = plan.tenantId;
    this.caller = caller;
  }

  /** Who the call is for, as managers see it (built once per call). */
  readonly caller: Readonly<CallIdentity>;

  /** The context a manager receives for one candidate (`modelInfo`: what its guard already resolved). */
  candidateContext(modelInfo: ModelInfo): CandidateContext {
    return { signal: this.plan.signal ?? NEVER_ABORTED, caller: this.caller, modelInfo, onAttempt: this.countAttempt, onDeployment: this.noteDeployment, telemetryParent: this.recorder.parent };
  }

  /** Build the public result and report it (the one place a call ends well). */
  finish(answer: FinishedAnswer): GenerateResult {
    const { toolCalls, reasoning } = answer;
    const message: AssistantMessage = { role: 'assistant', content: answer.text === '' && toolCalls.length > 0 ? null : answer.text };
    if (toolCalls.length > 0) message.toolCalls = toolCalls;
    if (reasoning && reasoning.length > 0) message.reasoning = reasoning;
    const result: GenerateResult = {
      id: answer.id,
      text: answer.text,
      model: answer.model,
      responseModel: answer.responseModel,
      finishReason: answer.finishReason,
      usage: answer.usage,
      costUsd: answer.costUsd,
      cached: answer.cached,
      attempts: this.attempts,
      adapters: this.plan.chain.names,
      latencyMs: performance.now() - this.started,
      toolCalls,
      message,
    };
    if (answer.object !== undefined) result.object = answer.object;
    if (answer.stopSequence !== undefined) result.stopSequence = answer.stopSequence;
    if (reasoning && reasoning.length > 0) {
      const thinking = reasoning.map((block) => block.text).join('');
      if (thinking) result.reasoning = thinking;
    }
    this.recorder.end(result);
    const tenant = this.plan.tenantId;
    if (tenant !== undefined) this.spend?.record(tenant, { costUsd: result.costUsd, inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens });
    return result;
  }

  /** The public result of a provider answer whose output adapters produced `text` (`object`: its parsed JSON). */
  finishFromProvider(managed: ManagedResult, text: string, object?: unknown): GenerateResult {
    return this.finish({
      id: managed.id ?? randomUUID(),
      text,
      model: managed.model,
      responseModel: managed.responseModel,
      finishReason: managed.finishReason,
      usage: managed.usage,
      costUsd: managed.costUsd,
      cached: false,
      toolCalls: managed.toolCalls ?? [],
      reasoning: managed.reasoning,
      object,
      stopSequence: managed.stopSequence,
    });
  }

  /** The result of a cache hit: no provider call, so no tokens and no cost. */
  finishFromCache(hit: CachedAnswer, text: string): GenerateResult {
    return this.finish({
      id: randomUUID(),
      text,
      model: hit.model,
      responseModel: hit.responseModel,
      finishReason: hit.finishReason,
      usage: { ...EMPTY_USAGE },
      costUsd: 0,
      cached: true,
      toolCalls: hit.toolCalls ?? [],
      reasoning: hit.reasoning,
      // Only answers that parsed (and validated) were cached.
      object: parsedOutput(this.plan.request.responseFormat, hit),
      stopSequence: hit.stopSequence,
    });
  }

  /** Report a failure (the one place a call ends badly); returns the error to throw. */
  fail(error: unknown): LLMError {
    const mapped = toLLMError(error);
    this.recorder.fail(mapped, this.attempts);
    return mapped;
  }

  /** A stream left early: the recorder closes the call as aborted (a no-op once it ended). */
  abandon(): void {
    this.recorder.abandon?.(this.attempts);
  }
}

/**
 * Plan the call and start its telemetry. A call that fails to plan (unknown bot, missing session) is
 * reported like any failure, then thrown.
 */
export async function startCall(call: NormalizedCall, stream: boolean, services: CallServices, resolved?: ResolvedCall): Promise<CallState> {
  const started = performance.now();
  let plan: CallPlan | undefined;
  try {
    plan = call.target.kind === 'model' ? planModelCall(call, call.target.model, services) : await planCall(call, services, resolved?.session);
    // The tenant's allow-lists and rpm, before the cache and any candidate (no await without an rpm).
    const waiting = admitTenantCall(plan, services.tenants);
    if (waiting) await waiting;
  } catch (error) {
    const mapped = toLLMError(error);
    const target = call.target;
    services.observer
      .startCall({
        operation: call.operation,
        stream,
        bot: target.kind === 'bot' ? target.bot : undefined,
        sessionId: target.kind === 'session' ? target.sessionId : undefined,
        model: target.kind === 'model' ? target.model : '',
        messages: call.messages,
        params: call.params,
        tenantId: plan?.tenantId ?? call.tenantId,
        userId: plan?.userId,
      })
      .fail(mapped, 0);
    throw mapped;
  }
  const recorder = services.observer.startCall({
    operation: plan.operation,
    stream,
    bot: plan.bot,
    sessionId: plan.sessionId,
    model: plan.candidates[0]!,
    messages: plan.request.messages,
    params: plan.request.params,
    tenantId: plan.tenantId,
    userId: plan.userId,
  });
  const cacheKey =
    services.responseCache && plan.useCache
      ? responseCacheKey({ tenant: plan.tenantId, candidates: plan.candidates, request: plan.request, adaptersKey: plan.chain.requestKey })
      : undefined;
  return new CallState(plan, recorder, started, cacheKey, services.spend);
}

/** What to cache from a managed result: only complete, successful answers. */
export function cacheableAnswer(result: ManagedResult): CachedAnswer | undefined {
  if (result.finishReason === 'error' || result.finishReason === 'content-filter') return undefined;
  const answer: CachedAnswer = { id: result.id ?? randomUUID(), text: result.text, model: result.model, responseModel: result.responseModel, finishReason: result.finishReason, usage: result.usage };
  if (result.toolCalls && result.toolCalls.length > 0) answer.toolCalls = result.toolCalls;
  if (result.reasoning && result.reasoning.length > 0) answer.reasoning = result.reasoning;
  if (result.stopSequence !== undefined) answer.stopSequence = result.stopSequence;
  return answer;
}

/**
 * Anything thrown becomes an LLMError (bugs included, so callers always get our shape). Managers map
 * their own failures where they arise; this only wraps what is not an LLMError yet, once.
 */
export function toLLMError(error: unknown): LLMError {
  if (LLMError.isInstance(error)) return error;
  return new ProviderError(`Unexpected failure: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
