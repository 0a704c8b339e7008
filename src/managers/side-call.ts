/**
 * A provider request beside a generation (a token count, one batch of embeddings): the same retry policy,
 * total timeout (`resilience.timeoutMs`), abort handling and error mapping as a generation's attempt
 * loop (model-call.ts), without a stream or a model lease. One loop: the SDKs' own retries are off.
 */
import { abortReason, linkAbort, sleep } from '../core/abort.js';
import { TimeoutError, type LLMError } from '../core/errors.js';
import { decideRetry } from '../resilience/retry.js';
import type { ResilienceSettings } from './model-call.js';

/** What a side call needs from its manager. */
export interface SideCallPort {
  resilience: ResilienceSettings;
  /** Map anything an attempt threw to our error classes (the manager's mapError). */
  mapError(error: unknown, signal: AbortSignal): LLMError;
  /** `provider:model`, for the timeout message. */
  where: string;
  /** Called before each attempt (embeddings count attempts). */
  onAttempt?(): void;
  /** A failed attempt (1-based) that will be retried after `delayMs` (embeddings record it on their span). */
  onRetry?(attempt: number, error: LLMError, delayMs: number): void;
}

/** Run `attempt` (with a signal that aborts at the caller's abort or the deadline) with retries. */
export async function runSideCall<T>(port: SideCallPort, signal: AbortSignal, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const linked = linkAbort(signal);
  const { timeoutMs } = port.resilience;
  const endsAt = performance.now() + timeoutMs;
  const timer = setTimeout(() => linked.controller.abort(new TimeoutError(`${port.where} did not finish within ${timeoutMs} ms (timeoutMs)`)), timeoutMs);
  try {
    for (let retries = 0; ; retries++) {
      if (linked.signal.aborted) throw abortReason(linked.signal);
      port.onAttempt?.();
      try {
        return await attempt(linked.signal);
      } catch (error) {
        const mapped = linked.signal.aborted ? abortReason(linked.signal) : port.mapError(error, linked.signal);
        if (linked.signal.aborted) throw mapped;
        const decision = decideRetry(mapped, retries, port.resilience);
        if (!decision.retry || decision.delayMs >= endsAt - performance.now()) throw mapped;
        port.onRetry?.(retries + 1, mapped, decision.delayMs);
        await sleep(decision.delayMs, linked.signal);
      }
    }
  } finally {
    clearTimeout(timer);
    linked.dispose();
  }
}
