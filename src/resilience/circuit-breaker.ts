/**
 * Circuit breakers per `provider:model` (RELIABILITY.md): open after `failureThreshold` consecutive
 * health failures, reject fast while open, then let exactly one probe through per cooldown. Apart
 * from that, a model may be cooling down after a rate limit ("Rate limits are not outages"):
 * `coolDown(id, ms)` refuses it for `ms` without judging its health, so a 429 never opens the circuit.
 *
 * The registry only keeps state; it never runs the call. The pipeline asks `tryAcquire` before a
 * candidate, and reports the outcome when it is known: at once for a promise call, at the end for a
 * stream (a stream whose success is known only after its last part cannot be wrapped in a function
 * call, which is why this is not an `opossum` breaker; see the decision note in docs/decisions.md).
 *
 * What to record: only failures that say something about the model's health. Record server errors,
 * timeouts, connection failures and interrupted streams. Never record `InvalidRequestError`,
 * `ContextLengthError`, `AbortError`, `BudgetExceededError`, `CircuitOpenError`, or a RateLimitError
 * of kind `client` (the caller's input, the caller's choice or our own limits, not the model); for
 * those, call `recordNeutral`, which frees a half-open probe slot without judging the model. A
 * provider's 429 that outlived the retries (kind `upstream`) is a `coolDown` plus `recordNeutral`:
 * the model is busy for a while, not broken.
 */
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../core/errors.js';

/** What a breaker is doing. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Why `tryAcquire` refused: the circuit is open, or the model is cooling down after a rate limit. */
export type CircuitRefusal = 'open' | 'cooling';

/** Answer of `tryAcquire`: go ahead (as the half-open probe or not), or wait `retryInMs` and why. */
export type CircuitAdmission = { allowed: true; probe: boolean } | { allowed: false; reason: CircuitRefusal; retryInMs: number };

/** Settings (config `resilience.circuitBreaker`). */
export interface CircuitBreakerOptions {
  /** Consecutive health failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit rejects before one probe may go through; also a probe's lease. */
  cooldownMs: number;
  /** Most breakers kept (least recently used dropped first); default 10000. */
  maxEntries?: number;
  /** Monotonic clock in ms; injectable for tests. */
  now?: () => number;
}

/** One breaker as `snapshot()` reports it. */
export interface CircuitSnapshotEntry {
  id: string;
  state: CircuitState;
  consecutiveFailures: number;
  /** While open or half-open with a probe out: ms until the next caller may go through. */
  retryInMs?: number;
  /** While cooling down after a rate limit: ms left. */
  coolingMs?: number;
}

interface Breaker {
  consecutiveFailures: number;
  /** Set while open or half-open; when the current cooldown started. */
  openedAt?: number;
  /** Set while a half-open probe is out: when it was granted. */
  probeAt?: number;
  /** Set after a rate limit: until when the model is cooling down (may lie in the past). */
  coolUntil?: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;
/**
 * Longest cooldown one rate limit can impose: a Retry-After far in the future (a broken header, a
 * date a day ahead) must not shut a model for longer than an hour.
 */
export const MAX_RATE_LIMIT_COOLDOWN_MS = 3_600_000;
/** The answer for a closed circuit, shared: most calls get it, and nobody may change it. */
const ADMITTED = Object.freeze<CircuitAdmission>({ allowed: true, probe: false });

function positive(value: number | undefined, key: string, problems: Array<{ key: string; message: string }>, integer: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    problems.push({ key, message: `must be a positive ${integer ? 'integer' : 'number'} (got ${String(value)})` });
  }
}

/**
 * One breaker per id (`provider:model`), bounded by an LRU. A breaker with no failures holds no
 * entry, so a healthy fleet costs nothing; dropping a failing breaker from the LRU closes it, which
 * only loses protection for the least recently used of `maxEntries` models.
 */
export class CircuitBreakerRegistry {
  private readonly breakers: LRUCache<string, Breaker>;
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(options: CircuitBreakerOptions) {
    const problems: Array<{ key: string; message: string }> = [];
    positive(options.failureThreshold, 'resilience.circuitBreaker.failureThreshold', problems, true);
    positive(options.cooldownMs, 'resilience.circuitBreaker.cooldownMs', problems, false);
    positive(options.maxEntries, 'maxEntries', problems, true);
    if (problems.length) throw new ConfigError(problems);
    this.failureThreshold = options.failureThreshold;
    this.cooldownMs = options.cooldownMs;
    this.now = options.now ?? (() => performance.now());
    this.breakers = new LRUCache<string, Breaker>({ max: options.maxEntries ?? DEFAULT_MAX_ENTRIES });
  }

  /**
   * May a call to `id` go out now? Closed: yes. Open within its cooldown: no (`reason: 'open'`), with
   * the time left. Cooling down after a rate limit: no (`reason: 'cooling'`), with the time left.
   * Open after the cooldown and not cooling: this caller becomes the single probe (`probe: true`) and
   * the breaker is half-open; everyone else is rejected until the probe is recorded, or until its
   * lease of one cooldown lapses (a probe whose outcome is never reported must not keep the model shut forever).
   */
  tryAcquire(id: string): CircuitAdmission {
    const breaker = this.breakers.get(id);
    if (!breaker) return ADMITTED;
    const now = this.now();
    const coolingMs = Math.max(0, (breaker.coolUntil ?? 0) - now);
    if (breaker.openedAt !== undefined) {
      const waitMs = (breaker.probeAt ?? breaker.openedAt) + this.cooldownMs - now;
      // Open wins the reason (the model is failing); the wait is until both have passed.
      if (waitMs > 0) return { allowed: false, reason: 'open', retryInMs: Math.ceil(Math.max(waitMs, coolingMs)) };
    }
    if (coolingMs > 0) return { allowed: false, reason: 'cooling', retryInMs: Math.ceil(coolingMs) };
    if (breaker.openedAt === undefined) {
      // A cooldown that has passed on a model with no failures leaves nothing worth keeping.
      if (breaker.consecutiveFailures === 0) this.breakers.delete(id);
      else breaker.coolUntil = undefined;
      return ADMITTED;
    }
    breaker.coolUntil = undefined;
    breaker.probeAt = now;
    return { allowed: true, probe: true };
  }

  /**
   * `id` answered a rate limit that outlived its retries: refuse it for `ms` (capped at
   * MAX_RATE_LIMIT_COOLDOWN_MS) without counting a failure. A cooldown already running for longer
   * stays. A non-positive or non-finite `ms` changes nothing.
   */
  coolDown(id: string, ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    const until = this.now() + Math.min(ms, MAX_RATE_LIMIT_COOLDOWN_MS);
    const breaker = this.breakers.get(id);
    if (!breaker) this.breakers.set(id, { consecutiveFailures: 0, coolUntil: until });
    else breaker.coolUntil = Math.max(breaker.coolUntil ?? -Infinity, until);
  }

  /** A call to `id` succeeded: closes a half-open breaker and clears the failure count of a closed one. */
  recordSuccess(id: string): void {
    const breaker = this.breakers.peek(id);
    if (!breaker) return;
    // A success that started before the circuit opened proves little: only the probe may close it.
    if (breaker.openedAt !== undefined && breaker.probeAt === undefined) return;
    // Nor does a success end a cooldown: it may have started before the rate limit did.
    if (breaker.coolUntil !== undefined && breaker.coolUntil > this.now()) {
      breaker.consecutiveFailures = 0;
      breaker.openedAt = undefined;
      breaker.probeAt = undefined;
      return;
    }
    this.breakers.delete(id);
  }

  /** A call to `id` failed in a way that says the model is unhealthy (see the module note). */
  recordFailure(id: string): void {
    const now = this.now();
    const breaker = this.breakers.get(id);
    if (!breaker) {
      this.breakers.set(id, this.counted({ consecutiveFailures: 0 }, now));
      return;
    }
    if (breaker.openedAt !== undefined && breaker.probeAt === undefined) {
      // Late failures of calls that started before the circuit opened must not extend the cooldown.
      breaker.consecutiveFailures++;
      return;
    }
    if (breaker.probeAt !== undefined) {
      // The probe (or a straggler while it is out) failed: shut again for a full cooldown.
      breaker.consecutiveFailures++;
      breaker.openedAt = now;
      breaker.probeAt = undefined;
      return;
    }
    this.counted(breaker, now);
  }

  /**
   * A call to `id` ended in a way that says nothing about the model (abort, bad request, budget, a
   * limit of ours). For the half-open probe this frees the probe slot at once, so the next caller
   * probes instead of everyone waiting out the probe's lease. Pass `probe` from `tryAcquire`: a
   * non-probe call (`probe: false`) changes nothing, so a straggler cannot open a second probe slot.
   */
  recordNeutral(id: string, probe = true): void {
    if (!probe) return;
    const breaker = this.breakers.peek(id);
    if (breaker?.probeAt !== undefined) breaker.probeAt = undefined;
  }

  /** The state of `id` now (reading it does not start a probe). */
  state(id: string): CircuitState {
    const breaker = this.breakers.peek(id);
    return breaker ? this.stateOf(breaker, this.now()) : 'closed';
  }

  /** Every breaker with failures on record or a cooldown running, most recently used first. */
  snapshot(): CircuitSnapshotEntry[] {
    const now = this.now();
    const out: CircuitSnapshotEntry[] = [];
    for (const [id, breaker] of this.breakers.entries()) {
      const coolingMs = (breaker.coolUntil ?? 0) - now;
      if (breaker.consecutiveFailures === 0 && breaker.openedAt === undefined && !(coolingMs > 0)) continue;
      const entry: CircuitSnapshotEntry = { id, state: this.stateOf(breaker, now), consecutiveFailures: breaker.consecutiveFailures };
      if (breaker.openedAt !== undefined) {
        const waitMs = (breaker.probeAt ?? breaker.openedAt) + this.cooldownMs - now;
        if (waitMs > 0) entry.retryInMs = Math.ceil(waitMs);
      }
      if (coolingMs > 0) entry.coolingMs = Math.ceil(coolingMs);
      out.push(entry);
    }
    return out;
  }

  /** Number of breakers holding state (for bounds checks). */
  get size(): number {
    return this.breakers.size;
  }

  /** Forget every breaker (all closed). */
  clear(): void {
    this.breakers.clear();
  }

  private counted(breaker: Breaker, now: number): Breaker {
    breaker.consecutiveFailures++;
    if (breaker.consecutiveFailures >= this.failureThreshold) breaker.openedAt = now;
    return breaker;
  }

  private stateOf(breaker: Breaker, now: number): CircuitState {
    if (breaker.openedAt === undefined) return 'closed';
    if (breaker.probeAt !== undefined) return 'half-open';
    return now - breaker.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }
}
