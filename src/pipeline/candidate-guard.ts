/**
 * What stands between the router and one candidate model: its circuit breaker (and rate-limit
 * cooldown), input limits against its context window, the budget reservation and the client-side
 * rate limit. `enter` passes or throws; the returned ticket settles all of them once the attempt is over.
 *
 * Rate limits are not outages (RELIABILITY.md): a candidate that fails with a provider's 429 after
 * its retries is cooled down for its Retry-After (else `rateLimitCooldownMs`) and is neutral for its
 * breaker; while it cools it is skipped with a RateLimitError carrying the time left, which falls
 * back like any rate limit and, at the last candidate, tells the caller when to come back.
 */
import { CircuitOpenError, InvalidRequestError, RateLimitError, UnsupportedCapabilityError, type LLMError, type LLMErrorCode, type RequiredCapability } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ChatRequest, ManagedResult, ModelInfo } from '../core/types.js';
import type { ModelRegistry, ResolvedModel } from '../registry/model-registry.js';
import type { BudgetManager } from '../resilience/budget.js';
import { estimateMaxCostUsd, type TenantBudgetLimits } from '../resilience/budget.js';
import type { CircuitBreakerRegistry } from '../resilience/circuit-breaker.js';
import { checkInputLimits } from '../resilience/input-limits.js';
import type { RateLimiter } from '../resilience/rate-limiter.js';
import type { TenantPolicy } from '../tenants/tenant-policy.js';
import type { CallPlan } from './call-plan.js';
import { fitRequest } from './context-fit.js';
import { budgetScopeOf, checkTenantCandidate } from './tenant-guard.js';

/** Services the guard consults. */
export interface GuardServices {
  registry: ModelRegistry;
  breakers: CircuitBreakerRegistry;
  rateLimiter: RateLimiter;
  budgets: BudgetManager;
  /** Configured tenants (allow-lists, budgets); absent: no tenant rules. */
  tenants?: TenantPolicy;
  limits: { maxMessages: number; maxInputChars: number };
  /** How long a candidate is cooled after a provider 429 without a usable Retry-After (config `resilience.rateLimitCooldownMs`). */
  rateLimitCooldownMs: number;
  logger: Logger;
}

/** How a failed candidate is settled. */
export interface FailureSettlement {
  /**
   * The provider had already produced output (a stream past its first delta): its cost is unknown, so
   * the budget keeps the reserved worst case and the rate limiter the estimate, instead of giving them back.
   */
  billed?: boolean;
}

/** A candidate cleared to be called; settle it exactly once (later calls are ignored). */
export interface CandidateTicket {
  resolved: ResolvedModel;
  info: ModelInfo;
  /** The request for this candidate: the plan's, with stored history trimmed to its context window. */
  request: ChatRequest;
  /** History messages sent to this candidate, and dropped to fit its window. */
  history: { sent: number; trimmed: number };
  succeeded(result: ManagedResult): void;
  failed(error: LLMError, settlement?: FailureSettlement): void;
  /** The caller stopped before an outcome was known (a stream left early): says nothing about the model's health. */
  abandoned(settlement?: FailureSettlement): void;
}

/** Output tokens assumed for budget and rate-limit estimates when neither request nor catalog says. */
const DEFAULT_MAX_OUTPUT = 4096;

/** A provider's own 429 (not quota exhaustion, not one of our limits): the model is busy, not broken. */
export function isUpstreamRateLimit(error: LLMError): error is RateLimitError {
  return RateLimitError.isInstance(error) && error.kind === 'upstream';
}

/** Failures that say nothing about a model's health (by code: checkable across duplicated bundles). */
const NEUTRAL_FOR_HEALTH: ReadonlySet<LLMErrorCode> = new Set<LLMErrorCode>([
  'invalid_request',
  'aborted',
  'budget_exceeded',
  'adapter_error',
  'authentication',
  'no_such_model',
  'no_such_provider',
  'context_length',
  'circuit_open',
  'unsupported_capability',
  'invalid_output',
  'permission_denied',
]);

/** Failures after which the next candidate must not be tried: the request, the caller or our own rules. */
const NO_FALLBACK: ReadonlySet<LLMErrorCode> = new Set<LLMErrorCode>(['invalid_request', 'aborted', 'budget_exceeded', 'adapter_error', 'no_such_provider']);

/**
 * Failures that say a model is unhealthy. Bad requests, aborts, budgets, auth, unknown models and
 * rate limits (a provider's 429 cools the model instead; our own limits are ours) say nothing about
 * its health, so they never open its circuit. Quota exhaustion still counts: it lasts.
 */
export function countsAgainstHealth(error: LLMError): boolean {
  if (RateLimitError.isInstance(error)) return error.kind === 'quota';
  return !NEUTRAL_FOR_HEALTH.has(error.code);
}

/** Whether the next candidate should be tried after `error` (RELIABILITY.md "Fallbacks"). */
export function shouldFallBack(error: LLMError): boolean {
  return !NO_FALLBACK.has(error.code);
}

/**
 * Clear one candidate for a call, or throw why it cannot be called now. `needs` are the capabilities
 * the request needs (request-needs.ts): a catalogued model lacking one is skipped (a model the catalog
 * does not know is assumed capable; its provider's own 400 then maps as usual).
 */
export async function enterCandidate(plan: CallPlan, candidate: string, services: GuardServices, needs: readonly RequiredCapability[] = []): Promise<CandidateTicket> {
  // A candidate its tenant may not use is skipped like one that cannot serve the request.
  checkTenantCandidate(plan, candidate, services.tenants);
  const resolved = services.registry.resolve(candidate);
  const info = resolved.manager.getModelInfo(resolved.model);
  for (const need of needs) {
    if (!info.capabilities[need] && services.registry.isCatalogued(candidate)) {
      throw new UnsupportedCapabilityError(need, `${candidate} cannot serve this request: the catalog says it has no ${need} capability`, { provider: resolved.provider, model: resolved.model });
    }
  }
  if (info.kind === 'embedding') {
    throw new InvalidRequestError(`${candidate} is an embedding model (catalog kind "embedding"): it makes vectors, not answers; call sb.embed (POST /v1/embeddings) with it`, { provider: resolved.provider, model: resolved.model });
  }
  checkInputLimits(plan.request, services.limits);
  const fitted = await fitRequest(plan.request, info, candidate, plan.history, (request) => resolved.manager.measureTokens(request));
  const maxOutput = plan.request.params.maxTokens ?? info.maxOutputTokens ?? DEFAULT_MAX_OUTPUT;
  const scope = budgetScopeOf(plan, services.tenants);
  const admission = await admitCandidate(resolved, info, { inputTokens: fitted.inputTokens, maxOutput }, services, { budget: scope, signal: plan.signal });
  return {
    resolved,
    info,
    request: fitted.request,
    history: { sent: fitted.historySent, trimmed: fitted.historyTrimmed },
    succeeded: (result) => admission.succeeded(result.costUsd, result.usageReported ? result.usage.totalTokens : undefined),
    failed: (error, settlement) => admission.failed(error, settlement),
    abandoned: (settlement) => admission.abandoned(settlement),
  };
}

/** A call admitted to one model; settle it exactly once (later calls are ignored). */
export interface Admission {
  /** It answered: what it cost (null: unpriced) and the tokens it used (undefined: not reported, the estimate stands). */
  succeeded(costUsd: number | null, tokens: number | undefined): void;
  failed(error: LLMError, settlement?: FailureSettlement): void;
  /** The caller stopped before an outcome was known: says nothing about the model's health. */
  abandoned(settlement?: FailureSettlement): void;
}

/** The budgets a call reserves against: its bot's (and session's) when the bot has one, its tenant's when configured. */
export interface BudgetScope {
  bot?: string;
  sessionId?: string;
  budget?: NonNullable<NonNullable<CallPlan['botConfig']>['budget']>;
  tenant?: { id: string; budget: TenantBudgetLimits };
}

/**
 * Admit one call to `resolved` (chat candidates and embedding batches alike): its circuit breaker (and
 * rate-limit cooldown), the budget reservation of `budget` when given, and a client-side rate-limit
 * permit for about `estimate` tokens. Throws why the model cannot be called now; the returned
 * admission settles all of them once the attempt is over.
 */
export async function admitCandidate(
  resolved: ResolvedModel,
  info: ModelInfo,
  estimate: { inputTokens: number; maxOutput: number },
  services: GuardServices,
  options: { budget?: BudgetScope; signal?: AbortSignal } = {},
): Promise<Admission> {
  const candidate = resolved.id;
  const { inputTokens, maxOutput } = estimate;
  const admission = services.breakers.tryAcquire(candidate);
  if (!admission.allowed) {
    const origin = { provider: resolved.provider, model: resolved.model, retryAfterMs: admission.retryInMs };
    if (admission.reason === 'cooling') {
      throw new RateLimitError(`${candidate} is rate limited by its provider; skipped for another ${admission.retryInMs} ms`, { ...origin, kind: 'upstream' });
    }
    throw new CircuitOpenError(`${candidate} is failing; its circuit is open for another ${admission.retryInMs} ms`, origin);
  }
  let breakerSettled = false;
  const settleBreaker = (healthy: boolean | undefined) => {
    if (breakerSettled) return;
    breakerSettled = true;
    if (healthy === true) services.breakers.recordSuccess(candidate);
    else if (healthy === false) services.breakers.recordFailure(candidate);
    else services.breakers.recordNeutral(candidate, admission.probe);
  };
  let reservation: Awaited<ReturnType<BudgetManager['reserve']>> | undefined;
  let permit: Awaited<ReturnType<RateLimiter['acquire']>> | undefined;
  try {
    if (options.budget) {
      const maxCostUsd = estimateMaxCostUsd(info.pricing, inputTokens, maxOutput);
      if (maxCostUsd === null) {
        const { bot, tenant } = options.budget;
        services.logger.warn('a budget applies but the model has no price; the budget cannot be enforced for it', { bot, tenant: tenant?.id, model: candidate });
      } else {
        reservation = await services.budgets.reserve({ ...options.budget, maxCostUsd });
      }
    }
    permit = await services.rateLimiter.acquire(resolved.provider, inputTokens + maxOutput, options.signal);
  } catch (error) {
    reservation?.release();
    settleBreaker(undefined);
    throw error;
  }
  let settled = false;
  const settleFailure = (healthy: false | undefined, settlement: FailureSettlement) => {
    if (settled) return;
    settled = true;
    settleBreaker(healthy);
    if (settlement.billed) {
      reservation?.settle(null);
      permit?.settle(inputTokens + maxOutput);
    } else {
      reservation?.release();
      permit?.settle(0);
    }
  };
  return {
    succeeded(costUsd, tokens) {
      if (settled) return;
      settled = true;
      settleBreaker(true);
      reservation?.settle(costUsd);
      permit?.settle(tokens ?? inputTokens + maxOutput);
    },
    failed(error, settlement = {}) {
      if (!settled && isUpstreamRateLimit(error)) services.breakers.coolDown(candidate, cooldownMs(error, services.rateLimitCooldownMs));
      settleFailure(countsAgainstHealth(error) ? false : undefined, settlement);
    },
    abandoned(settlement = {}) {
      settleFailure(undefined, settlement);
    },
  };
}

/** The provider's Retry-After when it sent a usable one, else the configured cooldown. */
function cooldownMs(error: RateLimitError, fallbackMs: number): number {
  const asked = error.retryAfterMs;
  return asked !== undefined && Number.isFinite(asked) && asked > 0 ? asked : fallbackMs;
}
