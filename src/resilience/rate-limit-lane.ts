/**
 * The parts of a RateLimiter lane: one provider's buckets and its FIFO queue of waiting callers,
 * plus the checks and refusal messages shared by the local and shared modes (see rate-limiter.ts).
 */
import { ConfigError, RateLimitError } from '../core/errors.js';
import type { ProviderRateLimit, RateLimitPermit } from './rate-limiter.js';
import type { BucketLimits } from './rate-limit-store.js';
import type { LimitName, TokenBucket } from './token-bucket.js';

/** One caller waiting for its turn. */
export interface Waiter {
  tokens: number;
  /** Token-bucket cost (tokens capped at the bucket size). */
  cost: number;
  enqueuedAt: number;
  /** Shared mode: maxWaitMs passed while the store was deciding; the decision settles it. */
  expired?: boolean;
  resolve(permit: RateLimitPermit): void;
  reject(error: Error): void;
  cleanup(): void;
}

/** How long until a charge could go, and the bucket that binds. */
export interface Wait {
  ms: number;
  limit?: TokenBucket;
}

/** The outcome of asking the store; `shared` false when the store failed and local buckets decided. */
export type SharedOutcome = { granted: true; shared: boolean } | ({ granted: false } & Wait);

/** One provider's buckets and queue. */
export class Lane {
  readonly queue: Waiter[] = [];
  queuedCost = 0;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Shared mode: the waiter whose take is with the store now. */
  taking: Waiter | undefined;
  /** Shared mode: the last wait the store reported. */
  lastWait: Wait = { ms: 0 };

  constructor(
    readonly provider: string,
    readonly requests: TokenBucket | undefined,
    readonly tokens: TokenBucket | undefined,
    readonly maxWaitMs: number,
  ) {}

  /** The limits as a store charge carries them. */
  get limits(): BucketLimits {
    return { requestsPerMinute: this.requests?.perMinute, tokensPerMinute: this.tokens?.perMinute };
  }

  /** The local bucket of a limit the store named (for messages). */
  bucket(name: LimitName): TokenBucket | undefined {
    return name === 'requestsPerMinute' ? this.requests : this.tokens;
  }

  /** Ms until a request of `cost` tokens could go, after `queued` earlier requests of `queuedCost`. */
  wait(cost: number, now: number, queued = 0, queuedCost = 0): Wait {
    const byRequests = this.requests?.msUntil(1, now, queued) ?? 0;
    const byTokens = this.tokens?.msUntil(cost, now, queuedCost) ?? 0;
    if (byRequests === 0 && byTokens === 0) return { ms: 0 };
    return byRequests >= byTokens ? { ms: byRequests, limit: this.requests } : { ms: byTokens, limit: this.tokens };
  }

  /** Take a waiter out of the queue and stop its timer; false when it was not queued. */
  remove(waiter: Waiter): boolean {
    const index = this.queue.indexOf(waiter);
    if (index < 0) return false;
    this.queue.splice(index, 1);
    this.queuedCost -= waiter.cost;
    waiter.cleanup();
    return true;
  }
}

/** ConfigError naming every bad limit at once. */
export function checkLimits(limits: Record<string, ProviderRateLimit>): void {
  const problems: Array<{ key: string; message: string }> = [];
  for (const [provider, limit] of Object.entries(limits)) {
    for (const name of ['requestsPerMinute', 'tokensPerMinute'] as const) {
      const value = limit[name];
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
        problems.push({ key: `resilience.rateLimits.${provider}.${name}`, message: `must be a positive number (got ${String(value)}); leave it out for no limit` });
      }
    }
    const wait = limit.maxWaitMs;
    if (wait !== undefined && (!Number.isFinite(wait) || wait < 0)) {
      problems.push({ key: `resilience.rateLimits.${provider}.maxWaitMs`, message: `must be a number >= 0 (got ${String(wait)})` });
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

/** A token estimate as a whole number >= 0. */
export function tokenCount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}

/** The refusal when a call would wait, or has waited, past its provider's maxWaitMs. */
export function rateLimitTooLong(lane: Lane, ms: number, limit: TokenBucket | undefined, verb: 'would need' | 'waited'): RateLimitError {
  const which = limit ? `${limit.name} ${limit.perMinute}` : 'its limits';
  const what = verb === 'waited' ? `the call waited maxWaitMs (${lane.maxWaitMs} ms) without getting its turn` : `the call would wait about ${Math.ceil(ms)} ms, more than maxWaitMs (${lane.maxWaitMs} ms)`;
  const key = `resilience.rateLimits.${lane.provider}`;
  return new RateLimitError(
    `Client-side rate limit for provider "${lane.provider}" (${which}): ${what}. ` +
      `Raise ${key}.${limit?.name ?? 'requestsPerMinute'} if the provider allows more, or ${key}.maxWaitMs to wait longer.`,
    { provider: lane.provider, retryable: false, retryAfterMs: Math.ceil(ms), kind: 'client' },
  );
}
