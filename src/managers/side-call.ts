/**
 * A provider request beside a generation (a token count, one batch of embeddings): the same retry policy,
 * total timeout (`resilience.timeoutMs`), abort handling and error mapping as a generation's attempt
 * loop (model-call.ts), without a stream or a model lease. One loop: the SDKs' own retries are off.
 * With deployments (`port.routing`), each attempt goes to the deployment the router picks, by the same
 * rules as a generation's attempts (routing/deployment-attempts.ts): a cooling failure moves at once to
 * another deployment, a retry waits until one is free.
 */
import { abortReason, linkAbort, sleep } from '../core/abort.js';
import { TimeoutError, type LLMError } from '../core/errors.js';
import type { ResilienceSettings } from './model-call.js';
import type { DeploymentLease, DeploymentRef, DeploymentPool } from '../routing/deployment-pool.js';
import { acquireDeployment, nextAttempt } from '../routing/deployment-attempts.js';

/** A side call over a provider's deployments. */
export interface SideCallRouting {
  pool: DeploymentPool;
  modelId: string;
  /** Tokens charged to a deployment's tpm per attempt (0 when no deployment has a tpm). */
  tokens: number;
  /** The deployment an attempt goes to (embedding spans name it). */
  onDeployment?(name: string, server?: { address: string; port?: number }): void;
}

/** What a side call needs from its manager. */
export interface SideCallPort {
  resilience: ResilienceSettings;
  /** Map anything an attempt threw to our error classes (the manager's mapError). */
  mapError(error: unknown, signal: AbortSignal): LLMError;
  /** `provider:model`, for the timeout message. */
  where: string;
  /** Called before each attempt (embeddings count attempts). */
  onAttempt?(): void;
  /** A failed attempt (1-based) that will be retried after `delayMs` (embeddings record it on their span). */
  onRetry?(attempt: number, error: LLMError, delayMs: number): void;
  /** The provider's deployments, when it has some. */
  routing?: SideCallRouting;
}

/**
 * Run `attempt` (with a signal that aborts at the caller's abort or the deadline, and the attempt's
 * deployment when the provider has some) with retries.
 */
export async function runSideCall<T>(port: SideCallPort, signal: AbortSignal, attempt: (signal: AbortSignal, deployment?: DeploymentRef) => Promise<T>): Promise<T> {
  const linked = linkAbort(signal);
  const { timeoutMs } = port.resilience;
  const endsAt = performance.now() + timeoutMs;
  const timer = setTimeout(() => linked.controller.abort(new TimeoutError(`${port.where} did not finish within ${timeoutMs} ms (timeoutMs)`)), timeoutMs);
  const routing = port.routing;
  // Immediate moves to another deployment after a cooling failure: attempts, but not retries.
  let switches = 0;
  try {
    for (let attempts = 1; ; attempts++) {
      if (linked.signal.aborted) throw abortReason(linked.signal);
      port.onAttempt?.();
      let lease: DeploymentLease | undefined;
      try {
        if (routing) {
          lease = await acquireDeployment(routing.pool, routing.modelId, routing.tokens);
          routing.onDeployment?.(lease.ref.name, lease.ref.server);
        }
        const value = await attempt(linked.signal, lease?.ref);
        if (lease) routing!.pool.succeeded(lease);
        return value;
      } catch (error) {
        const mapped = linked.signal.aborted ? abortReason(linked.signal) : port.mapError(error, linked.signal);
        const cooled = lease !== undefined && routing!.pool.failed(lease, mapped);
        if (linked.signal.aborted) throw mapped;
        const decision = nextAttempt(mapped, { pool: routing?.pool, modelId: routing?.modelId ?? '', cooled, attempts, switches, remainingMs: endsAt - performance.now() }, port.resilience);
        if (decision.next === 'stop') throw mapped;
        if (decision.next === 'switch') {
          switches++;
          port.onRetry?.(attempts, mapped, 0);
          continue;
        }
        port.onRetry?.(attempts, mapped, decision.delayMs);
        await sleep(decision.delayMs, linked.signal);
      } finally {
        if (lease) routing!.pool.abandoned(lease);
      }
    }
  } finally {
    clearTimeout(timer);
    linked.dispose();
  }
}
