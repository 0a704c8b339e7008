/**
 * Cancellation plumbing: one AbortController per attempt, linked to the caller's signal without
 * AbortSignal.any (whose listeners leaked on Node 20 under load), and an abortable sleep.
 */
import { AbortError } from './errors.js';

/** A controller that aborts when `parent` does; call `dispose()` to unlink when done. */
export interface LinkedAbort {
  controller: AbortController;
  signal: AbortSignal;
  dispose(): void;
}

/** Create a controller that follows `parent` (if any) until disposed. */
export function linkAbort(parent?: AbortSignal): LinkedAbort {
  const controller = new AbortController();
  if (!parent) return { controller, signal: controller.signal, dispose: () => undefined };
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

/** The reason a signal was aborted, as an Error (our own errors pass through unchanged). */
export function abortReason(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason;
  return new AbortError();
}

/** Throw an AbortError if the caller already aborted: checked before any network call. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortReason(signal);
}
