/**
 * Circuit breakers per `provider:model` (RELIABILITY.md): open after `failureThreshold` consecutive
 * health failures, reject fast while open, then let exactly one probe through per cooldown.
 *
 * The registry only keeps state; it never runs the call. The pipeline asks `tryAcquire` before a
 * candidate, and reports the outcome when it is known: at once for a promise call, at the end for a
 * stream (a stream whose success is known only after its last part cannot be wrapped in a function
 * call, which is why this is not an `opossum` breaker; see the decision note in docs/decisions.md).
 *
 * What to record: only failures that say something about the model's health. Record server errors,
 * timeouts, connection failures, interrupted streams, and provider 429s that outlived the retries.
 * Never record `InvalidRequestError`, `ContextLengthError`, `AbortError`, `BudgetExceededError`,
 * `CircuitOpenError`, or a RateLimitError from our own RateLimiter / ConcurrencyLimiter (the caller's
 * input, the caller's choice or our own limits, not the model);
 * for those, call `recordNeutral`, which frees a half-open probe slot without judging the model.
 */
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../core/errors.js';

/** What a breaker is doing. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Answer of `tryAcquire`: go ahead (as the half-open probe or not), or wait `retryInMs`. */
export type CircuitAdmission = { allowed: true; probe: boolean } | { allowed: false; retryInMs: number };

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
}

interface Breaker {
  consecutiveFailures: number;
  /** Set while open or half-open; when the current cooldown started. */
  openedAt?: number;
  /** Set while a half-open probe is out: when it was granted. */
  probeAt?: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

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
   * May a call to `id` go out now? Closed: yes. Open within its cooldown: no, with the time left.
   * Open after the cooldown: this caller becomes the single probe (`probe: true`) and the breaker is
   * half-open; everyone else is rejected until the probe is recorded, or until its lease of one
   * cooldown lapses (a probe whose outcome is never reported must not keep the model shut forever).
   */
  tryAcquire(id: string): CircuitAdmission {
    const breaker = this.breakers.get(id);
    if (!breaker || breaker.openedAt === undefined) return { allowed: true, probe: false };
    const now = this.now();
    const since = breaker.probeAt ?? breaker.openedAt;
    const waitMs = since + this.cooldownMs - now;
    if (waitMs > 0) return { allowed: false, retryInMs: Math.ceil(waitMs) };
    breaker.probeAt = now;
    return { allowed: true, probe: true };
  }

  /** A call to `id` succeeded: closes a half-open breaker and clears the failure count of a closed one. */
  recordSuccess(id: string): void {
    const breaker = this.breakers.peek(id);
    if (!breaker) return;
    // A success that started before the circuit opened proves little: only the probe may close it.
    if (breaker.openedAt !== undefined && breaker.probeAt === undefined) return;
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

  /** Every breaker with failures on record, most recently used first. */
  snapshot(): CircuitSnapshotEntry[] {
    const now = this.now();
    const out: CircuitSnapshotEntry[] = [];
    for (const [id, breaker] of this.breakers.entries()) {
      const entry: CircuitSnapshotEntry = { id, state: this.stateOf(breaker, now), consecutiveFailures: breaker.consecutiveFailures };
      if (breaker.openedAt !== undefined) {
        const waitMs = (breaker.probeAt ?? breaker.openedAt) + this.cooldownMs - now;
        if (waitMs > 0) entry.retryInMs = Math.ceil(waitMs);
      }
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
