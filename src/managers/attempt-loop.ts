/**
 * The one retry loop (RELIABILITY.md): attempts of one candidate model under one total deadline.
 * The deadline aborts the attempt under way with a TimeoutError; the caller's signal aborts with
 * AbortError; neither is retried. Retry delays come from `decideRetry`.
 */
import { linkAbort, sleep, type LinkedAbort } from '../core/abort.js';
import { TimeoutError, type LLMError } from '../core/errors.js';
import { decideRetry, type RetryPolicy } from '../resilience/retry.js';

/** What the loop needs from its manager. */
export interface AttemptHooks {
  policy: RetryPolicy;
  /** Total for all attempts of this candidate; 0 = none. */
  timeoutMs: number;
  firstChunkTimeoutMs: number;
  idleChunkTimeoutMs: number;
  callerSignal: AbortSignal;
  link: typeof linkAbort;
  mapError(error: unknown, signal?: AbortSignal): LLMError;
  onRetry(attempt: number, error: LLMError, delayMs: number): void;
  onAttempt?: () => void;
  /** `provider:model`, for messages. */
  describe: string;
}

/** A linked controller that also aborts with TimeoutError when the total timeout passes. */
export interface Deadline extends LinkedAbort {
  /** Milliseconds left (Infinity without a timeout). */
  remaining(): number;
}

/** Start the total deadline of one candidate. */
export function startDeadline(hooks: AttemptHooks): Deadline {
  const linked = hooks.link(hooks.callerSignal);
  if (!hooks.timeoutMs || hooks.timeoutMs <= 0) return { ...linked, remaining: () => Infinity };
  const endsAt = performance.now() + hooks.timeoutMs;
  const timer = setTimeout(() => {
    linked.controller.abort(new TimeoutError(`${hooks.describe} did not finish within ${hooks.timeoutMs} ms (timeoutMs)`));
  }, hooks.timeoutMs);
  return {
    ...linked,
    remaining: () => Math.max(0, endsAt - performance.now()),
    dispose: () => {
      clearTimeout(timer);
      linked.dispose();
    },
  };
}

/**
 * Wait before the next attempt, or throw the error to give up on this candidate.
 * Shared by the generate loop and the stream loop so both follow one policy.
 */
export async function waitBeforeRetry(hooks: AttemptHooks, deadline: Deadline, error: LLMError, attempts: number): Promise<void> {
  if (deadline.signal.aborted) throw error;
  const decision = decideRetry(error, attempts - 1, hooks.policy);
  if (!decision.retry) throw error;
  // A wait that outlasts the deadline cannot end in a success: give up now so a fallback can answer.
  if (decision.delayMs >= deadline.remaining()) throw error;
  hooks.onRetry(attempts, error, decision.delayMs);
  try {
    await sleep(decision.delayMs, deadline.signal);
  } catch (sleepError) {
    throw hooks.mapError(sleepError, deadline.signal);
  }
}

/** Run `attempt` until it succeeds, a failure is not retryable, retries run out, or the deadline passes. */
export async function runWithRetries<T>(hooks: AttemptHooks, attempt: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; attempts: number }> {
  const deadline = startDeadline(hooks);
  let attempts = 0;
  try {
    for (;;) {
      attempts++;
      hooks.onAttempt?.();
      // The first attempt runs on the deadline's own signal (most calls make one attempt: one controller
      // fewer per call). Retries get a link of their own, so abort listeners an SDK leaves on its
      // signal do not pile up on one signal across many retries.
      const perAttempt = attempts === 1 ? undefined : hooks.link(deadline.signal);
      const signal = perAttempt?.signal ?? deadline.signal;
      try {
        return { value: await attempt(signal), attempts };
      } catch (thrown) {
        const error = hooks.mapError(thrown, signal);
        await waitBeforeRetry(hooks, deadline, error, attempts);
      } finally {
        perAttempt?.dispose();
      }
    }
  } finally {
    deadline.dispose();
  }
}
