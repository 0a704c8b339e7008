/**
 * Where deployment cooldowns live when several instances must agree on them (RedisDeploymentCooldownStore).
 * Without one, each router keeps its cooldowns in process only. Per-deployment rpm/tpm counters are
 * not here: they are RateLimitStore buckets (src/resilience/rate-limit-store.ts), shared the same way.
 */

/** Shared deployment cooldowns, keyed `<provider>/<deployment>`. */
export interface DeploymentCooldownStore {
  /** Put `key` on cooldown for `ms` from now; a longer cooldown already there is kept. */
  coolDown(key: string, ms: number): Promise<void>;
  /** Ms of cooldown left for each key, in order (0 = not cooling). */
  remaining(keys: readonly string[]): Promise<number[]>;
  close(): Promise<void>;
}

/** What the cooldown rule says about an attempt's failure (deployment-pool.ts `cooldownFor`). */
export interface FailureLike {
  code: string;
  kind?: string;
  status?: number;
  retryable?: boolean;
  retryAfterMs?: number;
}

/**
 * How long a failure takes a deployment out of rotation, or undefined when it says nothing about
 * the deployment: a 429 (or a spent quota) for its Retry-After, else `cooldownMs`; a 5xx (529
 * included) or a connection failure (a retryable provider error without a status) for `cooldownMs`.
 * Bad requests, auth, aborts and our own deadline are the call's, not the deployment's.
 */
export function cooldownFor(error: FailureLike, cooldownMs: number): number | undefined {
  if (error.code === 'rate_limit') {
    if (error.kind !== 'upstream' && error.kind !== 'quota') return undefined;
    const asked = error.retryAfterMs;
    return asked !== undefined && Number.isFinite(asked) && asked > 0 ? asked : cooldownMs;
  }
  if (error.code !== 'provider_error') return undefined;
  if (error.status === undefined) return error.retryable ? cooldownMs : undefined;
  return error.status >= 500 ? cooldownMs : undefined;
}
