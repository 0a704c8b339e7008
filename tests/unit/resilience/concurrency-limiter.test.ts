import { describe, expect, it, jest } from '@jest/globals';
import { AbortError, ConfigError, RateLimitError, TimeoutError } from '../../../src/core/errors.js';
import { ConcurrencyLimiter } from '../../../src/resilience/concurrency-limiter.js';

function watch<T>(promise: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimiter', () => {
  it('never lets more than maxConcurrency run, and finishes every task', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 5 });
    let running = 0;
    let peak = 0;
    let finished = 0;
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const release = await limiter.acquire();
        running++;
        peak = Math.max(peak, running);
        try {
          const turns = Math.floor(random() * 4);
          for (let i = 0; i < turns; i++) await tick();
        } finally {
          running--;
          finished++;
          release();
        }
      }),
    );
    expect(peak).toBe(5);
    expect(finished).toBe(200);
    expect(limiter.inFlight).toBe(0);
    expect(limiter.queued).toBe(0);
  });

  it('hands slots over in FIFO order', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1 });
    const first = await limiter.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) => limiter.acquire().then((release) => (order.push(n), release)));
    first();
    for (const waiter of waiters) (await waiter)();
    expect(order).toEqual([1, 2, 3]);
  });

  it('frees one slot per release, however often release is called', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1 });
    const release = await limiter.acquire();
    const a = watch(limiter.acquire());
    const b = watch(limiter.acquire());
    release();
    release();
    await tick();
    expect(a.done).toBe(true);
    expect(b.done).toBe(false);
    expect(limiter.inFlight).toBe(1);
    (a.value as () => void)();
    await tick();
    expect(b.done).toBe(true);
  });

  it('rejects with a non-retryable RateLimitError when the queue is full', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 2, maxQueued: 2 });
    await limiter.acquire();
    await limiter.acquire();
    const queued = [watch(limiter.acquire()), watch(limiter.acquire())];
    const error = await limiter.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryable).toBe(false);
    expect((error as RateLimitError).message).toContain('resilience.maxConcurrency');
    expect(queued.every((q) => !q.done)).toBe(true);
    expect(limiter.queued).toBe(2);
  });

  it('takes an aborted waiter out of the queue with the signal reason', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1 });
    const release = await limiter.acquire();
    const controller = new AbortController();
    const aborted = watch(limiter.acquire(controller.signal));
    const timedOut = new AbortController();
    const deadline = watch(limiter.acquire(timedOut.signal));
    const behind = watch(limiter.acquire());
    controller.abort();
    timedOut.abort(new TimeoutError('deadline'));
    await tick();
    expect(aborted.error).toBeInstanceOf(AbortError);
    expect(deadline.error).toBeInstanceOf(TimeoutError);
    expect(limiter.queued).toBe(1);
    release();
    await tick();
    expect(behind.done).toBe(true);
    expect(limiter.inFlight).toBe(1);
    await expect(limiter.acquire(AbortSignal.abort())).rejects.toBeInstanceOf(AbortError);
  });

  it('gives up after maxWaitMs when set, leaving no timer behind', async () => {
    jest.useFakeTimers();
    try {
      const limiter = new ConcurrencyLimiter({ maxConcurrency: 1, maxWaitMs: 500 });
      const release = await limiter.acquire();
      const waiting = watch(limiter.acquire());
      await jest.advanceTimersByTimeAsync(499);
      expect(waiting.done).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(waiting.error).toBeInstanceOf(RateLimitError);
      expect(limiter.queued).toBe(0);
      const served = watch(limiter.acquire());
      release();
      await jest.advanceTimersByTimeAsync(0);
      expect(served.done).toBe(true);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('treats maxConcurrency 0 as no cap', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 0 });
    const releases = await Promise.all(Array.from({ length: 1_000 }, () => limiter.acquire()));
    expect(limiter.inFlight).toBe(1_000);
    for (const release of releases) release();
    expect(limiter.inFlight).toBe(0);
  });

  it('close() rejects waiters with AbortError', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1 });
    await limiter.acquire();
    const waiting = watch(limiter.acquire());
    limiter.close();
    await tick();
    expect(waiting.error).toBeInstanceOf(AbortError);
  });

  it('rejects bad settings with ConfigError', () => {
    expect(() => new ConcurrencyLimiter({ maxConcurrency: -1 })).toThrow(ConfigError);
    expect(() => new ConcurrencyLimiter({ maxConcurrency: 1.5 })).toThrow(/resilience\.maxConcurrency/);
  });
});
