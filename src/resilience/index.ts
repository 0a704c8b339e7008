/** Resilience primitives: retry policy, circuit breakers, rate and concurrency limits, budgets, input limits. */
export { DEFAULT_RETRY_POLICY, decideRetry, retryAfterOf, type RetryDecision, type RetryPolicy } from './retry.js';
export {
  CircuitBreakerRegistry,
  MAX_RATE_LIMIT_COOLDOWN_MS,
  type CircuitAdmission,
  type CircuitRefusal,
  type CircuitBreakerOptions,
  type CircuitSnapshotEntry,
  type CircuitState,
} from './circuit-breaker.js';
export {
  DEFAULT_MAX_QUEUED_PER_PROVIDER,
  DEFAULT_MAX_WAIT_MS,
  RateLimiter,
  type ProviderRateLimit,
  type RateLimiterOptions,
  type RateLimitPermit,
} from './rate-limiter.js';
export { ConcurrencyLimiter, DEFAULT_MAX_QUEUED_CALLS, type ConcurrencyLimiterOptions, type ReleaseSlot } from './concurrency-limiter.js';
export {
  BudgetManager,
  MemoryBudgetStore,
  estimateMaxCostUsd,
  type BudgetEntry,
  type BudgetLimits,
  type BudgetManagerOptions,
  type BudgetRequest,
  type BudgetReservation,
  type BudgetStore,
  type MemoryBudgetStoreOptions,
} from './budget.js';
export { MESSAGE_OVERHEAD_TOKENS, checkInputLimits, estimatePromptTokens, estimateTokens, type InputLimits } from './input-limits.js';
export {
  MemoryRateLimitStore,
  checkCharge,
  type BucketLimits,
  type RateLimitCharge,
  type RateLimitDecision,
  type RateLimitStore,
} from './rate-limit-store.js';
