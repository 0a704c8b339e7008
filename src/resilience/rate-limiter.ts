/**
 * Client-side requests/min and tokens/min per provider (config `resilience.rateLimits.<provider>`),
 * so a burst waits here briefly instead of collecting 429s upstream.
 *
 * Algorithm: two token buckets per provider (requests and tokens), each holding at most one minute's
 * allowance and refilling continuously at limit/60 000 per ms. A bucket was chosen over a sliding
 * window because it needs O(1) state per provider whatever the limit, lets an idle provider take a
 * burst up to its per-minute limit (as the providers' own limiters do), and makes the wait of the
 * n-th queued caller a closed formula: the queue ahead is served in order, so the caller gets through
 * once the refill covers everything queued before it plus its own cost. A caller whose predicted wait
 * exceeds `maxWaitMs` is refused at once (a fallback can answer now); the others wait in a bounded
 * FIFO queue, with `maxWaitMs` as a hard stop if corrections made the prediction too short.
 *
 * Token counts are estimates before the call; `permit.settle(actual)` corrects the bucket afterwards,
 * refunding an over-estimate or carrying an under-estimate as debt (at most one minute's allowance).
 * A single request estimated above `tokensPerMinute` is charged the whole allowance: it waits for a
 * full bucket rather than being refused on a rough estimate. Timers exist only while someone waits.
 *
 * Shared mode (`store`, e.g. RedisRateLimitStore): the buckets live in the store, so every instance
 * draws on one allowance. Each instance still queues its own callers in FIFO order; the head asks
 * the store to take its charge, and when refused sleeps for the wait the store reported (other
 * instances' traffic makes the queue ahead unknowable, so the refusal comes when the head's own wait
 * would pass `maxWaitMs`). If the store fails, calls fall back to this process's own buckets (each
 * instance then allows the full limit) and the failure goes to `onStoreError`.
 */
import { abortReason } from '../core/abort.js';
import { AbortError, ConfigError, RateLimitError } from '../core/errors.js';
import { checkLimits, Lane, rateLimitTooLong, tokenCount, type SharedOutcome, type Waiter } from './rate-limit-lane.js';
import type { RateLimitStore } from './rate-limit-store.js';
import { TokenBucket } from './token-bucket.js';

/** One provider's limits (config `resilience.rateLimits.<provider>`). */
export interface ProviderRateLimit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** Longest a call waits for its turn; 0 = never wait. Default 10000. */
  maxWaitMs?: number;
}

/** Options of the limiter. */
export interface RateLimiterOptions {
  /** Limits by provider name; providers not listed are not limited. */
  limits: Record<string, ProviderRateLimit>;
  /** Most callers waiting per provider; default 1000. */
  maxQueuedPerProvider?: number;
  /** Monotonic clock in ms that agrees with `setTimeout` (jest fake timers fake both). */
  now?: () => number;
  /** Shared buckets so several instances share one allowance; without it each process counts alone. */
  store?: RateLimitStore;
  /** Where store failures go (the call then uses this process's own buckets). */
  onStoreError?: (error: unknown) => void;
}

/** Permission for one request; `settle` once the real token count is known. */
export interface RateLimitPermit {
  /** Tokens charged so far (the estimate until settled). */
  readonly tokens: number;
  /** How long the caller waited for the permit, in ms. */
  readonly waitedMs: number;
  /** Correct the token bucket with the tokens the call really used; later calls are ignored. */
  settle(actualTokens: number): void;
}

/** Default wait limit per call, ms. */
export const DEFAULT_MAX_WAIT_MS = 10_000;
/** Default bound of each provider's wait queue. */
export const DEFAULT_MAX_QUEUED_PER_PROVIDER = 1000;

/** Per-provider request and token limits with a bounded FIFO wait (see the module note). */
export class RateLimiter {
  private readonly lanes = new Map<string, Lane>();
  private readonly maxQueued: number;
  private readonly now: () => number;
  private readonly store: RateLimitStore | undefined;
  private readonly onStoreError: (error: unknown) => void;

  constructor(options: RateLimiterOptions) {
    checkLimits(options.limits);
    this.maxQueued = options.maxQueuedPerProvider ?? DEFAULT_MAX_QUEUED_PER_PROVIDER;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) {
      throw new ConfigError([{ key: 'maxQueuedPerProvider', message: `must be an integer >= 0 (got ${String(this.maxQueued)})` }]);
    }
    this.now = options.now ?? (() => performance.now());
    this.store = options.store;
    this.onStoreError = options.onStoreError ?? (() => undefined);
    const start = this.now();
    for (const [provider, limit] of Object.entries(options.limits)) {
      const requests = limit.requestsPerMinute === undefined ? undefined : new TokenBucket('requestsPerMinute', limit.requestsPerMinute, start);
      const tokens = limit.tokensPerMinute === undefined ? undefined : new TokenBucket('tokensPerMinute', limit.tokensPerMinute, start);
      if (requests || tokens) this.lanes.set(provider, new Lane(provider, requests, tokens, limit.maxWaitMs ?? DEFAULT_MAX_WAIT_MS));
    }
  }

  /**
   * Wait for permission to send one request of about `estimatedTokens` to `provider`. Rejects with
   * RateLimitError (not retryable: we already waited; a fallback may answer) when the queue is full or
   * the wait would pass `maxWaitMs`, and with the signal's reason (AbortError) when aborted.
   */
  acquire(provider: string, estimatedTokens: number, signal?: AbortSignal): Promise<RateLimitPermit> {
    const tokens = tokenCount(estimatedTokens);
    const lane = this.lanes.get(provider);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (!lane) return Promise.resolve({ tokens, waitedMs: 0, settle: () => undefined });
    const cost = lane.tokens?.cost(tokens) ?? tokens;
    const now = this.now();
    if (this.store) {
      if (lane.queue.length === 0) return this.acquireShared(lane, this.store, tokens, cost, now, signal);
      if (lane.queue.length >= this.maxQueued) return Promise.reject(this.queueFull(lane, lane.lastWait.ms));
      return this.enqueue(lane, tokens, cost, now, lane.lastWait.limit, signal);
    }
    if (lane.queue.length === 0 && lane.wait(cost, now).ms === 0) return Promise.resolve(this.grant(lane, tokens, cost, now, now));
    if (lane.queue.length >= this.maxQueued) return Promise.reject(this.queueFull(lane, lane.wait(cost, now, lane.queue.length, lane.queuedCost).ms));
    const predicted = lane.wait(cost, now, lane.queue.length, lane.queuedCost);
    if (predicted.ms > lane.maxWaitMs) return Promise.reject(rateLimitTooLong(lane, predicted.ms, predicted.limit, 'would need'));
    return this.enqueue(lane, tokens, cost, now, predicted.limit, signal);
  }

  /** Callers waiting for `provider` now. */
  queued(provider: string): number {
    return this.lanes.get(provider)?.queue.length ?? 0;
  }

  /** Reject every waiter with AbortError and stop all timers (shutdown). The store is the caller's to close. */
  close(): void {
    for (const lane of this.lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = undefined;
      for (const waiter of lane.queue.slice()) {
        lane.remove(waiter);
        waiter.reject(new AbortError('The rate limiter was closed while the call waited'));
      }
    }
  }

  private queueFull(lane: Lane, waitMs: number): RateLimitError {
    const provider = lane.provider;
    return new RateLimitError(
      `Client-side rate limit for provider "${provider}": ${lane.queue.length} calls are already waiting (the queue holds ${this.maxQueued}). ` +
        `Raise resilience.rateLimits.${provider}.requestsPerMinute / tokensPerMinute if the provider allows more, or send less traffic.`,
      { provider, retryable: false, retryAfterMs: Math.ceil(waitMs), kind: 'client' },
    );
  }

  /** Shared mode with nobody queued: ask the store at once; queue only if refused with a wait that fits. */
  private async acquireShared(lane: Lane, store: RateLimitStore, tokens: number, cost: number, since: number, signal?: AbortSignal): Promise<RateLimitPermit> {
    const outcome = await this.takeShared(lane, store, cost);
    if (signal?.aborted) {
      if (outcome.granted && outcome.shared) void this.adjustShared(lane, store, lane.requests ? -1 : 0, -cost);
      throw abortReason(signal);
    }
    const now = this.now();
    if (outcome.granted) return this.grant(lane, tokens, cost, since, now, outcome.shared ? store : undefined);
    lane.lastWait = outcome;
    if (outcome.ms > since + lane.maxWaitMs - now) throw rateLimitTooLong(lane, outcome.ms, outcome.limit, 'would need');
    if (lane.queue.length >= this.maxQueued) throw this.queueFull(lane, outcome.ms);
    return this.enqueue(lane, tokens, cost, since, outcome.limit, signal);
  }

  private enqueue(lane: Lane, tokens: number, cost: number, now: number, limit: TokenBucket | undefined, signal?: AbortSignal): Promise<RateLimitPermit> {
    return new Promise<RateLimitPermit>((resolve, reject) => {
      const leave = (error: Error) => {
        if (!lane.remove(waiter)) return;
        reject(error);
        // The leaver may have been the head blocking smaller requests behind it.
        this.drain(lane);
      };
      const onAbort = () => leave(abortReason(signal!));
      const timer = setTimeout(() => {
        if (lane.taking === waiter) {
          waiter.expired = true;
          return;
        }
        // Debt from under-estimates can outrun the prediction; say how much longer it would take.
        const index = lane.queue.indexOf(waiter);
        const aheadCost = lane.queue.slice(0, Math.max(0, index)).reduce((sum, w) => sum + w.cost, 0);
        const left = this.store ? lane.lastWait : lane.wait(cost, this.now(), Math.max(0, index), aheadCost);
        leave(rateLimitTooLong(lane, left.ms, left.limit ?? limit, 'waited'));
      }, this.store ? Math.max(0, now + lane.maxWaitMs - this.now()) : lane.maxWaitMs);
      const waiter: Waiter = {
        tokens,
        cost,
        enqueuedAt: now,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      lane.queue.push(waiter);
      lane.queuedCost += cost;
      if (lane.queue.length === 1) this.drain(lane);
    });
  }

  /** Serve waiters in order while the buckets allow; otherwise sleep until the head can go. */
  private drain(lane: Lane): void {
    if (this.store) {
      void this.drainShared(lane, this.store);
      return;
    }
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    const now = this.now();
    while (lane.queue.length > 0) {
      const head = lane.queue[0]!;
      const wait = lane.wait(head.cost, now).ms;
      if (wait > 0) {
        lane.timer = setTimeout(() => this.drain(lane), Math.max(1, Math.ceil(wait)));
        return;
      }
      lane.remove(head);
      head.resolve(this.grant(lane, head.tokens, head.cost, head.enqueuedAt, now));
    }
  }

  /** Shared mode: one take at a time per lane; the head goes, waits what the store says, or is refused. */
  private async drainShared(lane: Lane, store: RateLimitStore): Promise<void> {
    if (lane.taking) return;
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = undefined;
    while (lane.queue.length > 0) {
      const head = lane.queue[0]!;
      lane.taking = head;
      const outcome = await this.takeShared(lane, store, head.cost);
      lane.taking = undefined;
      const now = this.now();
      const present = lane.queue[0] === head;
      if (outcome.granted) {
        // The caller left (abort, close) while the store charged it: give the charge back.
        if (!present) {
          if (outcome.shared) this.adjustShared(lane, store, lane.requests ? -1 : 0, -head.cost);
          continue;
        }
        lane.remove(head);
        head.resolve(this.grant(lane, head.tokens, head.cost, head.enqueuedAt, now, outcome.shared ? store : undefined));
        continue;
      }
      lane.lastWait = outcome;
      if (!present) continue;
      if (head.expired || outcome.ms > head.enqueuedAt + lane.maxWaitMs - now) {
        lane.remove(head);
        head.reject(rateLimitTooLong(lane, outcome.ms, outcome.limit, head.expired ? 'waited' : 'would need'));
        continue;
      }
      lane.timer = setTimeout(() => this.drain(lane), Math.max(1, Math.ceil(outcome.ms)));
      return;
    }
  }

  private async takeShared(lane: Lane, store: RateLimitStore, cost: number): Promise<SharedOutcome> {
    try {
      const decision = await store.take({ provider: lane.provider, limits: lane.limits, requests: lane.requests ? 1 : 0, tokens: cost });
      return decision.granted ? { granted: true, shared: true } : { granted: false, ms: decision.waitMs, limit: lane.bucket(decision.limit) };
    } catch (error) {
      this.onStoreError(error);
      const wait = lane.wait(cost, this.now());
      return wait.ms === 0 ? { granted: true, shared: false } : { granted: false, ...wait };
    }
  }

  private adjustShared(lane: Lane, store: RateLimitStore, requests: number, tokens: number): Promise<void> {
    return store.adjust({ provider: lane.provider, limits: lane.limits, requests, tokens }).catch(this.onStoreError);
  }

  /** A permit; without `store` the charge is taken from (and settled against) the local buckets. */
  private grant(lane: Lane, tokens: number, cost: number, since: number, now: number, store?: RateLimitStore): RateLimitPermit {
    if (!store) {
      lane.requests?.take(1, now);
      lane.tokens?.take(cost, now);
    }
    let charged = cost;
    let settled = false;
    return {
      get tokens() {
        return charged;
      },
      waitedMs: now - since,
      settle: (actualTokens: number) => {
        if (settled || !lane.tokens) return;
        settled = true;
        const actual = tokenCount(actualTokens);
        const delta = actual - charged;
        charged = actual;
        if (store) {
          if (delta !== 0) void this.adjustShared(lane, store, 0, delta).then(() => delta < 0 && lane.queue.length > 0 && this.drain(lane));
          return;
        }
        lane.tokens.correct(delta, this.now());
        if (delta < 0 && lane.queue.length > 0) this.drain(lane);
      },
    };
  }
}
