/**
 * The global cap on calls in flight (config `resilience.maxConcurrency`), with a bounded FIFO wait.
 * A released slot passes straight to the longest waiter, so a steady stream of new callers cannot
 * overtake the queue.
 *
 * A full queue rejects with a RateLimitError (`kind: 'client'`) that is not retryable: the whole
 * process is saturated, so retrying at once or falling back to another model (which shares this cap)
 * cannot help; the caller should back off for `retryAfterMs`, the wait estimated from how long
 * calls have been holding their slots (see hold-time.ts). Waiting is bounded by the caller's signal
 * (the pipeline's call timeout) and by `maxWaitMs` when set.
 */
import { abortReason } from '../core/abort.js';
import { AbortError, ConfigError, RateLimitError } from '../core/errors.js';
import { HoldTimeEstimate } from './hold-time.js';

/** Options (config `resilience.maxConcurrency`). */
export interface ConcurrencyLimiterOptions {
  /** Calls in flight at once; 0 = no cap. */
  maxConcurrency: number;
  /** Most callers waiting for a slot; default 10000. */
  maxQueued?: number;
  /** Longest a caller waits for a slot; 0 or absent = until its signal aborts. */
  maxWaitMs?: number;
  /** Monotonic clock in ms for the wait estimate; injectable for tests. */
  now?: () => number;
}

/** Releases one slot; calling it again does nothing. */
export type ReleaseSlot = () => void;

/** Default bound of the wait queue. */
export const DEFAULT_MAX_QUEUED_CALLS = 10_000;

interface Waiter {
  grant(): void;
  fail(error: Error): void;
}

/** Counting semaphore with a bounded, abortable FIFO queue. */
export class ConcurrencyLimiter {
  private readonly max: number;
  private readonly maxQueued: number;
  private readonly maxWaitMs: number;
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private readonly holds: HoldTimeEstimate;

  constructor(options: ConcurrencyLimiterOptions) {
    const problems: Array<{ key: string; message: string }> = [];
    if (!Number.isInteger(options.maxConcurrency) || options.maxConcurrency < 0) {
      problems.push({ key: 'resilience.maxConcurrency', message: `must be a whole number >= 0, 0 for no cap (got ${String(options.maxConcurrency)})` });
    }
    const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_CALLS;
    if (!Number.isInteger(maxQueued) || maxQueued < 0) problems.push({ key: 'maxQueued', message: `must be a whole number >= 0 (got ${String(maxQueued)})` });
    const maxWaitMs = options.maxWaitMs ?? 0;
    if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) problems.push({ key: 'maxWaitMs', message: `must be a number >= 0 (got ${String(maxWaitMs)})` });
    if (problems.length) throw new ConfigError(problems);
    this.max = options.maxConcurrency === 0 ? Infinity : options.maxConcurrency;
    this.maxQueued = maxQueued;
    this.maxWaitMs = maxWaitMs;
    this.holds = new HoldTimeEstimate(options.now);
  }

  /** Calls holding a slot now. */
  get inFlight(): number {
    return this.active;
  }

  /** Callers waiting for a slot now. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Wait for a slot; resolves with the function that frees it (call it in `finally`). Rejects with
   * RateLimitError when the queue is full or `maxWaitMs` passes, and with the signal's reason
   * (AbortError, or the pipeline's TimeoutError) when aborted; a rejected caller holds no slot.
   */
  acquire(signal?: AbortSignal): Promise<ReleaseSlot> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.active < this.max && this.waiters.length === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueued) {
      return Promise.reject(
        new RateLimitError(
          `Too many calls at once: ${this.active} in flight (resilience.maxConcurrency = ${this.max}) and ${this.waiters.length} waiting, the most the queue holds. ` +
            'Raise resilience.maxConcurrency if the machine and providers can take more, or send fewer calls at once.',
          { retryable: false, kind: 'client', retryAfterMs: this.holds.waitMs(this.waiters.length, this.max) },
        ),
      );
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const leave = (error: Error) => {
        const index = this.waiters.indexOf(waiter);
        if (index < 0) return;
        this.waiters.splice(index, 1);
        cleanup();
        reject(error);
      };
      const onAbort = () => leave(abortReason(signal!));
      const waiter: Waiter = {
        grant: () => {
          cleanup();
          resolve(this.releaser());
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.maxWaitMs > 0) {
        timer = setTimeout(
          () =>
            leave(
              new RateLimitError(
                `Waited ${this.maxWaitMs} ms for a free call slot (resilience.maxConcurrency = ${this.max} in flight). ` +
                  'Raise resilience.maxConcurrency, or send fewer calls at once.',
                // Its own place in the queue is given up: a newcomer's wait is what to come back after.
                { retryable: false, kind: 'client', retryAfterMs: this.holds.waitMs(this.waiters.length - 1, this.max) },
              ),
            ),
          this.maxWaitMs,
        );
      }
      this.waiters.push(waiter);
    });
  }

  /** Reject every waiter with AbortError (shutdown); calls in flight keep their slots. */
  close(): void {
    for (const waiter of this.waiters.splice(0)) waiter.fail(new AbortError('The concurrency limiter was closed while the call waited'));
  }

  private releaser(): ReleaseSlot {
    let released = false;
    const grantedAt = this.holds.granted();
    return () => {
      if (released) return;
      released = true;
      this.holds.released(grantedAt);
      const next = this.waiters.shift();
      // Hand the slot over without freeing it, so no newcomer can slip in between.
      if (next) next.grant();
      else this.active--;
    };
  }
}
