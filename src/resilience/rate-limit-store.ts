/**
 * Where a RateLimiter's buckets live when several instances must share one allowance per provider.
 * The contract is one atomic step, "take these from both buckets or tell me how long to wait", so a
 * shared store (RedisRateLimitStore, one Lua script on Redis's clock) never lets two instances spend
 * the same tokens. MemoryRateLimitStore is the same contract in one process: the reference a shared
 * store must match, and what the limiter's shared-mode tests run on.
 */
import { InvalidRequestError } from '../core/errors.js';
import { TokenBucket, type LimitName } from './token-bucket.js';

/** A provider's per-minute limits; an absent limit is not enforced. */
export interface BucketLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

/** One charge against a provider's two buckets. */
export interface RateLimitCharge {
  provider: string;
  limits: BucketLimits;
  /** Requests to take (1 per call); negative in `adjust` to give back. */
  requests: number;
  /** Tokens to take (capped at `tokensPerMinute`); negative in `adjust` to give back. */
  tokens: number;
}

/** The answer of `take`: granted, or how long until the binding bucket could cover the charge. */
export type RateLimitDecision = { granted: true } | { granted: false; waitMs: number; limit: LimitName };

/**
 * Shared token buckets, each refilled at its limit per minute and holding at most one minute's worth.
 * Implementations must make `take` atomic: either both buckets are charged or neither is.
 */
export interface RateLimitStore {
  /** Take the charge from both buckets if both cover it now; otherwise take nothing and say how long to wait. */
  take(charge: RateLimitCharge): Promise<RateLimitDecision>;
  /** Correct both buckets unconditionally (positive charges, negative gives back); each level stays within ± one minute's allowance. */
  adjust(charge: RateLimitCharge): Promise<void>;
  close(): Promise<void>;
}

/**
 * Take `charge` from `shared` when there is one, else from `local`; a shared store that fails falls
 * back to `local` (this process's own buckets) and the failure goes to `onError`, so an outage never
 * fails a call. (The rate limiter's own lanes do the same with their queue: rate-limiter.ts.)
 */
export async function takeWithFallback(charge: RateLimitCharge, local: RateLimitStore, shared: RateLimitStore | undefined, onError: (error: unknown) => void): Promise<RateLimitDecision> {
  if (!shared) return local.take(charge);
  try {
    return await shared.take(charge);
  } catch (error) {
    onError(error);
    return local.take(charge);
  }
}

/** Check a charge before it reaches a store: every number finite, limits positive. */
export function checkCharge(charge: RateLimitCharge): void {
  const { requestsPerMinute: rpm, tokensPerMinute: tpm } = charge.limits;
  const bad = [
    ['requests', charge.requests],
    ['tokens', charge.tokens],
  ].find(([, value]) => !Number.isFinite(value));
  if (bad) throw new InvalidRequestError(`A rate-limit charge needs a finite ${String(bad[0])} count (got ${String(bad[1])})`);
  for (const [name, value] of [
    ['requestsPerMinute', rpm],
    ['tokensPerMinute', tpm],
  ] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
      throw new InvalidRequestError(`resilience.rateLimits.${charge.provider}.${name} must be a positive number (got ${String(value)})`);
    }
  }
  if (charge.provider === '') throw new InvalidRequestError('A rate-limit charge needs a provider name');
}

interface Buckets {
  requests?: TokenBucket;
  tokens?: TokenBucket;
}

/** Options of the in-process store. */
export interface MemoryRateLimitStoreOptions {
  /** Monotonic clock in ms; default performance.now. */
  now?: () => number;
  /** Most providers tracked; the oldest is forgotten (its buckets start full again) beyond it. Default 1000. */
  maxProviders?: number;
}

/** The RateLimitStore contract in one process (a provider's buckets are created on first use, full). */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, Buckets>();
  private readonly now: () => number;
  private readonly maxProviders: number;
  private closed = false;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.maxProviders = options.maxProviders ?? 1000;
  }

  async take(charge: RateLimitCharge): Promise<RateLimitDecision> {
    const { requests, tokens } = this.bucketsOf(charge);
    const now = this.now();
    const tokenCost = tokens ? tokens.cost(charge.tokens) : 0;
    const byRequests = requests?.msUntil(charge.requests, now) ?? 0;
    const byTokens = tokens?.msUntil(tokenCost, now) ?? 0;
    if (byRequests > 0 || byTokens > 0) {
      return byRequests >= byTokens ? { granted: false, waitMs: byRequests, limit: 'requestsPerMinute' } : { granted: false, waitMs: byTokens, limit: 'tokensPerMinute' };
    }
    requests?.take(charge.requests, now);
    tokens?.take(tokenCost, now);
    return { granted: true };
  }

  async adjust(charge: RateLimitCharge): Promise<void> {
    const { requests, tokens } = this.bucketsOf(charge);
    const now = this.now();
    if (charge.requests !== 0) requests?.correct(charge.requests, now);
    if (charge.tokens !== 0) tokens?.correct(charge.tokens, now);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.buckets.clear();
  }

  private bucketsOf(charge: RateLimitCharge): Buckets {
    if (this.closed) throw new InvalidRequestError('The rate-limit store is closed');
    checkCharge(charge);
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = charge.limits;
    let buckets = this.buckets.get(charge.provider);
    // New limits (a config change) start new buckets, as a restarted limiter would.
    if (!buckets || buckets.requests?.perMinute !== rpm || buckets.tokens?.perMinute !== tpm) {
      const now = this.now();
      buckets = {
        requests: rpm === undefined ? undefined : new TokenBucket('requestsPerMinute', rpm, now),
        tokens: tpm === undefined ? undefined : new TokenBucket('tokensPerMinute', tpm, now),
      };
      this.buckets.delete(charge.provider);
      if (this.buckets.size >= this.maxProviders) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(charge.provider, buckets);
    }
    return buckets;
  }
}
