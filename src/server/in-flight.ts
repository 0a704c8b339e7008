/**
 * The generation requests being served right now, so that shutdown can wait for them (bounded by
 * the drain timeout) and then abort whatever is still running.
 */
import { AbortError } from '../core/errors.js';

/** Tracks in-flight requests by their AbortControllers. */
export class InFlightRequests {
  private readonly active = new Set<AbortController>();
  private idleWaiters: Array<() => void> = [];

  /** Requests in flight now. */
  get size(): number {
    return this.active.size;
  }

  /** Track a request until the returned release function is called (idempotent). */
  track(controller: AbortController): () => void {
    this.active.add(controller);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active.delete(controller);
      if (this.active.size === 0) this.wakeIdle();
    };
  }

  /** Resolve true once nothing is in flight, or false after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onIdle = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((waiter) => waiter !== onIdle);
        resolve(this.active.size === 0);
      }, timeoutMs);
      this.idleWaiters.push(onIdle);
    });
  }

  /** Abort every request in flight (shutdown past its drain timeout). */
  abortAll(reason = 'The gateway is shutting down'): void {
    for (const controller of this.active) controller.abort(new AbortError(reason));
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
