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
 */
import { abortReason } from '../core/abort.js';
import { AbortError, ConfigError, RateLimitError } from '../core/errors.js';

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

type LimitName = 'requestsPerMinute' | 'tokensPerMinute';

class TokenBucket {
  private level: number;
  private updatedAt: number;
  private readonly perMs: number;

  constructor(
    readonly name: LimitName,
    readonly perMinute: number,
    now: number,
  ) {
    this.level = perMinute;
    this.updatedAt = now;
    this.perMs = perMinute / 60_000;
  }

  /** What one request costs here: never more than a full bucket, so every request can pass. */
  cost(amount: number): number {
    return Math.min(amount, this.perMinute);
  }

  /** Ms until `amount` more than `ahead` (already promised to earlier callers) is available. */
  msUntil(amount: number, now: number, ahead = 0): number {
    this.refill(now);
    const missing = ahead + amount - this.level;
    return missing <= 0 ? 0 : missing / this.perMs;
  }

  take(amount: number, now: number): void {
    this.refill(now);
    this.level -= amount;
  }

  /** Give back (negative) or charge (positive) a correction; debt is capped at one minute's allowance. */
  correct(delta: number, now: number): void {
    this.refill(now);
    this.level = Math.max(-this.perMinute, Math.min(this.perMinute, this.level - delta));
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.level = Math.min(this.perMinute, this.level + (now - this.updatedAt) * this.perMs);
      this.updatedAt = now;
    }
  }
}

interface Waiter {
  tokens: number;
  /** Token-bucket cost (tokens capped at the bucket size). */
  cost: number;
  enqueuedAt: number;
  resolve(permit: RateLimitPermit): void;
  reject(error: Error): void;
  cleanup(): void;
}

class Lane {
  readonly queue: Waiter[] = [];
  queuedCost = 0;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly provider: string,
    readonly requests: TokenBucket | undefined,
    readonly tokens: TokenBucket | undefined,
    readonly maxWaitMs: number,
  ) {}

  /** Ms until a request of `cost` tokens could go, after `queued` earlier requests of `queuedCost`. */
  wait(cost: number, now: number, queued = 0, queuedCost = 0): { ms: number; limit?: TokenBucket } {
    const byRequests = this.requests?.msUntil(1, now, queued) ?? 0;
    const byTokens = this.tokens?.msUntil(cost, now, queuedCost) ?? 0;
    if (byRequests === 0 && byTokens === 0) return { ms: 0 };
    return byRequests >= byTokens ? { ms: byRequests, limit: this.requests } : { ms: byTokens, limit: this.tokens };
  }
}

function checkLimits(limits: Record<string, ProviderRateLimit>): void {
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

function tokenCount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0;
}

/** Per-provider request and token limits with a bounded FIFO wait (see the module note). */
export class RateLimiter {
  private readonly lanes = new Map<string, Lane>();
  private readonly maxQueued: number;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions) {
    checkLimits(options.limits);
    this.maxQueued = options.maxQueuedPerProvider ?? DEFAULT_MAX_QUEUED_PER_PROVIDER;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) {
      throw new ConfigError([{ key: 'maxQueuedPerProvider', message: `must be an integer >= 0 (got ${String(this.maxQueued)})` }]);
    }
    this.now = options.now ?? (() => performance.now());
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
    if (lane.queue.length === 0 && lane.wait(cost, now).ms === 0) return Promise.resolve(this.grant(lane, tokens, cost, now, now));
    if (lane.queue.length >= this.maxQueued) {
      return Promise.reject(
        new RateLimitError(
          `Client-side rate limit for provider "${provider}": ${lane.queue.length} calls are already waiting (the queue holds ${this.maxQueued}). ` +
            `Raise resilience.rateLimits.${provider}.requestsPerMinute / tokensPerMinute if the provider allows more, or send less traffic.`,
          { provider, retryable: false, retryAfterMs: Math.ceil(lane.wait(cost, now, lane.queue.length, lane.queuedCost).ms) },
        ),
      );
    }
    const predicted = lane.wait(cost, now, lane.queue.length, lane.queuedCost);
    if (predicted.ms > lane.maxWaitMs) return Promise.reject(this.tooLong(lane, predicted.ms, predicted.limit, 'would need'));
    return this.enqueue(lane, tokens, cost, now, predicted.limit, signal);
  }

  /** Callers waiting for `provider` now. */
  queued(provider: string): number {
    return this.lanes.get(provider)?.queue.length ?? 0;
  }

  /** Reject every waiter with AbortError and stop all timers (shutdown). */
  close(): void {
    for (const lane of this.lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = undefined;
      for (const waiter of lane.queue.splice(0)) {
        waiter.cleanup();
        waiter.reject(new AbortError('The rate limiter was closed while the call waited'));
      }
      lane.queuedCost = 0;
    }
  }

  private enqueue(lane: Lane, tokens: number, cost: number, now: number, limit: TokenBucket | undefined, signal?: AbortSignal): Promise<RateLimitPermit> {
    return new Promise<RateLimitPermit>((resolve, reject) => {
      const leave = (error: Error) => {
        const index = lane.queue.indexOf(waiter);
        if (index < 0) return;
        lane.queue.splice(index, 1);
        lane.queuedCost -= waiter.cost;
        waiter.cleanup();
        reject(error);
        // The leaver may have been the head blocking smaller requests behind it.
        this.drain(lane);
      };
      const onAbort = () => leave(abortReason(signal!));
      const timer = setTimeout(() => {
        // Debt from under-estimates can outrun the prediction; say how much longer it would take.
        const index = lane.queue.indexOf(waiter);
        const aheadCost = lane.queue.slice(0, Math.max(0, index)).reduce((sum, w) => sum + w.cost, 0);
        const left = lane.wait(cost, this.now(), Math.max(0, index), aheadCost);
        leave(this.tooLong(lane, left.ms, left.limit ?? limit, 'waited'));
      }, lane.maxWaitMs);
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
      lane.queue.shift();
      lane.queuedCost -= head.cost;
      head.cleanup();
      head.resolve(this.grant(lane, head.tokens, head.cost, head.enqueuedAt, now));
    }
  }

  private grant(lane: Lane, tokens: number, cost: number, since: number, now: number): RateLimitPermit {
    lane.requests?.take(1, now);
    lane.tokens?.take(cost, now);
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
        lane.tokens.correct(actual - charged, this.now());
        const refunded = actual < charged;
        charged = actual;
        if (refunded && lane.queue.length > 0) this.drain(lane);
      },
    };
  }

  private tooLong(lane: Lane, ms: number, limit: TokenBucket | undefined, verb: 'would need' | 'waited'): RateLimitError {
    const which = limit ? `${limit.name} ${limit.perMinute}` : 'its limits';
    const what = verb === 'waited' ? `the call waited maxWaitMs (${lane.maxWaitMs} ms) without getting its turn` : `the call would wait about ${Math.ceil(ms)} ms, more than maxWaitMs (${lane.maxWaitMs} ms)`;
    const key = `resilience.rateLimits.${lane.provider}`;
    return new RateLimitError(
      `Client-side rate limit for provider "${lane.provider}" (${which}): ${what}. ` +
        `Raise ${key}.${limit?.name ?? 'requestsPerMinute'} if the provider allows more, or ${key}.maxWaitMs to wait longer.`,
      { provider: lane.provider, retryable: false, retryAfterMs: Math.ceil(ms) },
    );
  }
}
