/**
 * The rules every attempt loop applies to a provider's deployments, in one place: a generation's
 * (managers/model-call.ts) and a side call's (managers/side-call.ts: embeddings, a token count
 * endpoint). Which deployment an attempt gets (or the typed error when none may be used), when a
 * failed attempt moves at once to another deployment, and how long a retry waits for one to be free.
 */
import { NoSuchModelError, RateLimitError } from '../core/errors.js';
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

/**
 * True when the next attempt goes at once to another deployment (not counted as a retry): the failed
 * attempt's deployment went on cooldown (`cooled`), another deployment of the model is free, and the
 * call has made fewer than `deployments - 1` such moves (`switches`), so a call never loops over them.
 */
export function movesToAnotherDeployment(pool: DeploymentPool | undefined, modelId: string, cooled: boolean, switches: number): pool is DeploymentPool {
  return cooled && pool !== undefined && switches < pool.size - 1 && pool.available(modelId);
}

/**
 * The wait before a retry: at least `delayMs` (the retry rule's) and at least until the first
 * deployment of the model is free; undefined (give up on this model) when that is longer than
 * `maxRetryAfterMs`. Without deployments: `delayMs`.
 */
export function retryDelayWithDeployments(pool: DeploymentPool | undefined, modelId: string, delayMs: number, maxRetryAfterMs: number): number | undefined {
  if (!pool) return delayMs;
  const freeInMs = pool.retryInMs(modelId);
  return freeInMs > maxRetryAfterMs ? undefined : Math.max(delayMs, freeInMs);
}
