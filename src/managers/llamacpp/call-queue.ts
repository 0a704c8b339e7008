/**
 * One loaded GGUF model has one context sequence, so its calls run one at a time, in arrival
 * order. Waiting calls are bounded: past the bound a call fails fast with a retryable
 * RateLimitError (`kind: 'client'`, our own limit, not the model's health; `retryAfterMs` estimated
 * from how long turns have been taking) instead of piling up; a waiting call that is aborted leaves
 * the queue at once.
 */
import { abortReason } from '../../core/abort.js';
import { ProviderError, RateLimitError } from '../../core/errors.js';
import { HoldTimeEstimate } from '../../resilience/hold-time.js';

interface Waiter {
  grant: () => void;
}

/** A FIFO of exclusive turns with a bounded number of waiters. */
export class CallQueue {
  private busy = false;
  private closed = false;
  private readonly waiters: Waiter[] = [];
  private readonly turns = new HoldTimeEstimate();

  constructor(
    private readonly maxWaiting: number,
    private readonly origin: { provider: string; model: string },
  ) {}

  /** Calls waiting for their turn (not counting the one running). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Wait for an exclusive turn; call the returned function exactly once when done. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    if (this.closed) {
      return Promise.reject(new ProviderError(`${this.origin.provider}:${this.origin.model} was unloaded while the call waited; try again`, { ...this.origin, retryable: true }));
    }
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxWaiting) {
      return Promise.reject(
        new RateLimitError(`${this.origin.provider}:${this.origin.model} already has ${this.waiters.length} calls waiting for the model (local models answer one call at a time)`, {
          ...this.origin,
          kind: 'client',
          retryAfterMs: this.turns.waitMs(this.waiters.length, 1),
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(abortReason(signal));
      };
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Wait until every call already queued has run (bypassing the waiting bound), then refuse new ones:
   * the model is about to be unloaded.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    const release = await new Promise<() => void>((resolve) => {
      if (!this.busy) {
        this.busy = true;
        resolve(this.releaser());
      } else {
        this.waiters.push({ grant: () => resolve(this.releaser()) });
      }
    });
    this.closed = true;
    release();
  }

  private releaser(): () => void {
    let released = false;
    const grantedAt = this.turns.granted();
    return () => {
      if (released) return;
      released = true;
      this.turns.released(grantedAt);
      const next = this.waiters.shift();
      if (next) next.grant();
      else this.busy = false;
    };
  }
}
