/**
 * The rules every attempt loop applies to a provider's deployments, in one place: a generation's
 * (managers/model-call.ts) and a side call's (managers/side-call.ts: embeddings, a token count
 * endpoint). Which deployment an attempt gets (or the typed error when none may be used), and what
 * follows a failed attempt: another deployment at once, a retry (waiting for one to be free), or none.
 */
import { NoSuchModelError, RateLimitError, type LLMError } from '../core/errors.js';
import { decideRetry, type RetryPolicy } from '../resilience/retry.js';
import type { DeploymentLease, DeploymentPool } from './deployment-pool.js';

/**
 * The router's choice for one attempt at `modelId`, charged `tokens` against tpm. None free (every
 * deployment of the model cooling or at its rpm/tpm): a RateLimitError carrying the wait until the
 * first is free, which the retry rule treats like a provider's 429 (and, past the retries, the
 * pipeline like any rate-limited model). No deployment serves the model: NoSuchModelError.
 */
export async function acquireDeployment(pool: DeploymentPool, modelId: string, tokens: number): Promise<DeploymentLease> {
  const lease = await pool.acquire(modelId, tokens);
  if (lease) return lease;
  const origin = { provider: pool.provider, model: modelId };
  const where = `${pool.provider}:${modelId}`;
  if (!pool.serves(modelId)) throw new NoSuchModelError(`${where}: no deployment of ${pool.provider} serves this model (add it to a deployment's models list)`, origin);
  const retryAfterMs = pool.retryInMs(modelId);
  throw new RateLimitError(`${where}: every deployment is cooling or at its rate limit; the next is free in ${retryAfterMs} ms`, { ...origin, kind: 'upstream', retryAfterMs });
}

/** What follows a failed attempt: another deployment at once, a retry after `delayMs`, or giving up on the model. */
export type NextAttempt = { next: 'switch' } | { next: 'retry'; delayMs: number } | { next: 'stop' };

/** Where an attempt loop stands when an attempt failed. */
export interface AttemptLoopState {
  /** The provider's deployments; undefined without any. */
  pool: DeploymentPool | undefined;
  modelId: string;
  /** The failed attempt's deployment went on cooldown. */
  cooled: boolean;
  /** Attempts made so far (the failed one included). */
  attempts: number;
  /** Moves to another deployment so far (attempts, but not retries). */
  switches: number;
  /** Ms left before the candidate's deadline. */
  remainingMs: number;
}

/**
 * The one rule after a failed attempt, for a generation's loop (model-call.ts) and a side call's
 * (side-call.ts). A cooling failure moves at once to another free deployment of the model, not counted
 * as a retry, at most `deployments - 1` times per call (so a call never loops over them). Otherwise the
 * retry policy decides; a retry waits at least until the first deployment is free, and gives up when
 * that is past `maxRetryAfterMs` or the wait outlasts the deadline (a fallback may answer instead).
 */
export function nextAttempt(error: LLMError, state: AttemptLoopState, policy: RetryPolicy): NextAttempt {
  const { pool, modelId } = state;
  if (state.cooled && pool !== undefined && state.switches < pool.size - 1 && pool.available(modelId)) return { next: 'switch' };
  const decision = decideRetry(error, state.attempts - 1 - state.switches, policy);
  if (!decision.retry) return { next: 'stop' };
  let delayMs = decision.delayMs;
  if (pool) {
    const freeInMs = pool.retryInMs(modelId);
    if (freeInMs > policy.maxRetryAfterMs) return { next: 'stop' };
    delayMs = Math.max(delayMs, freeInMs);
  }
  return delayMs >= state.remainingMs ? { next: 'stop' } : { next: 'retry', delayMs };
}
