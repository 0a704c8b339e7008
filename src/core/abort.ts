/**
 * Cancellation plumbing: one AbortController per attempt, linked to the caller's signal without
 * AbortSignal.any (whose listeners leaked on Node 20 under load), and an abortable sleep.
 */
import { AbortError, LLMError } from './errors.js';

/**
 * The signal of a call whose caller passed none: shared, never aborted, and never given listeners
 * (linkAbort skips it), so a call without a signal allocates no controller for it.
 */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** A controller that aborts when `parent` does; call `dispose()` to unlink when done. */
export interface LinkedAbort {
  controller: AbortController;
  signal: AbortSignal;
  dispose(): void;
}

/** Create a controller that follows `parent` (if any) until disposed. */
export function linkAbort(parent?: AbortSignal): LinkedAbort {
  const controller = new AbortController();
  if (!parent || parent === NEVER_ABORTED) return { controller, signal: controller.signal, dispose: () => undefined };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, signal: controller.signal, dispose: () => undefined };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, signal: controller.signal, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Resolve after `ms`, or reject with the signal's reason (an AbortError if it has none) when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The reason a signal was aborted, as an LLMError: our own (a TimeoutError of a deadline) pass
 * through unchanged; anything else the caller aborted with (a plain Error, `AbortSignal.timeout()`'s
 * DOMException, a string) is the caller's abort, so it becomes AbortError with the reason as cause.
 */
export function abortReason(signal: AbortSignal): LLMError {
  const reason: unknown = signal.reason;
  if (LLMError.isInstance(reason)) return reason;
  const foreign = reason instanceof Error && reason.name !== 'AbortError';
  return new AbortError(undefined, foreign ? { cause: reason } : {});
}

/** Throw an AbortError if the caller already aborted: checked before any network call. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * Wait for `promise`, or reject with the signal's reason as soon as `signal` aborts. A value that
 * arrives after the abort is handed to `onLate` so it can be freed (a model lease, a permit).
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, onLate?: (value: T) => void): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.then(onLate, () => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (aborted) onLate?.(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
