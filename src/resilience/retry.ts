/**
 * The one retry loop's policy (RELIABILITY.md): which failures are tried again, and after how long.
 * Retry-After (`retry-after-ms`, `retry-after`) wins when 0 < delay <= maxRetryAfterMs; a longer one
 * gives up on this candidate at once so the next can answer. Otherwise capped exponential backoff
 * with jitter.
 */
import type { LLMError } from '../core/errors.js';

/** Retry settings (config `resilience`). */
export interface RetryPolicy {
  /** Retries after the first attempt, per candidate model. */
  maxRetries: number;
  /** Longest Retry-After we wait for; longer moves on to the next candidate. */
  maxRetryAfterMs: number;
  /** First backoff step when the provider gave no Retry-After. */
  baseDelayMs: number;
  /** Backoff cap. */
  maxDelayMs: number;
}

/** Defaults used when config gives none. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 2, maxRetryAfterMs: 60_000, baseDelayMs: 500, maxDelayMs: 8_000 };

/** What to do after a failed attempt. */
export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: 'not-retryable' | 'exhausted' | 'retry-after-too-long' };

/** The delay the provider asked for, if the error carries one. */
export function retryAfterOf(error: LLMError): number | undefined {
  const value = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Decide whether attempt number `retriesSoFar + 1` should follow `error`.
 * `random` is injectable so tests can pin the jitter.
 */
export function decideRetry(error: LLMError, retriesSoFar: number, policy: RetryPolicy, random: () => number = Math.random): RetryDecision {
  if (!error.retryable) return { retry: false, reason: 'not-retryable' };
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) return { retry: false, reason: 'retry-after-too-long' };
  if (retriesSoFar >= policy.maxRetries) return { retry: false, reason: 'exhausted' };
  if (retryAfter !== undefined && retryAfter > 0) return { retry: true, delayMs: retryAfter };
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retriesSoFar);
  // "Equal jitter": at least half the step, so retries never bunch at 0 ms, spread over the rest.
  return { retry: true, delayMs: Math.round(ceiling / 2 + random() * (ceiling / 2)) };
}
