/**
 * RateLimiter in shared mode (buckets in a RateLimitStore, as several instances use them through
 * Redis), run on MemoryRateLimitStore with fake timers; and that store's own contract. The Redis
 * store itself is tested against a real redis-server in tests/integration/redis-stores.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { AbortError, RateLimitError } from '../../../src/core/errors.js';
import { MemoryRateLimitStore, type RateLimitStore } from '../../../src/resilience/rate-limit-store.js';
import { RateLimiter, type RateLimiterOptions, type RateLimitPermit } from '../../../src/resilience/rate-limiter.js';
import { expectRateLimit, watch } from './promise-watch.js';


describe('RateLimiter with a shared store', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const shared = (store: RateLimitStore, limits: RateLimiterOptions['limits'], onStoreError?: (e: unknown) => void) => new RateLimiter({ limits, store, onStoreError });

  it('draws two limiters from one allowance', async () => {
    const store = new MemoryRateLimitStore();
    const limits = { openai: { requestsPerMinute: 60 } };
    const [one, two] = [shared(store, limits), shared(store, limits)];
    for (let i = 0; i < 30; i++) {
      await one.acquire('openai', 0);
      await two.acquire('openai', 0);
    }
    const next = watch(two.acquire('openai', 0));
    await jest.advanceTimersByTimeAsync(990);
    expect(next.done).toBe(false);
    await jest.advanceTimersByTimeAsync(20);
    expect(next.done).toBe(true);
    expect((next.value as RateLimitPermit).waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refuses at once when the store says the wait would pass maxWaitMs', async () => {
    const store = new MemoryRateLimitStore();
    const limiter = shared(store, { openai: { requestsPerMinute: 6, maxWaitMs: 5_000 } });
    for (let i = 0; i < 6; i++) await limiter.acquire('openai', 0);
    const error = await expectRateLimit(limiter.acquire('openai', 0));
    expect(error.retryAfterMs).toBe(10_000);
    expect(error.message).toContain('requestsPerMinute 6');
    expect(error.message).toContain('would wait about 10000 ms');
    expect(limiter.queued('openai')).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('serves its own waiters in order and settles tokens in the store', async () => {
    const store = new MemoryRateLimitStore();
    const limits = { openai: { tokensPerMinute: 6_000, maxWaitMs: 60_000 } };
    const [one, two] = [shared(store, limits), shared(store, limits)];
    const first = await one.acquire('openai', 6_000);
    const order: string[] = [];
    const big = one.acquire('openai', 3_000).then(() => order.push('big'));
    const small = one.acquire('openai', 10).then(() => order.push('small'));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(order).toEqual([]);
    // The first call used 1,000 tokens: 5,000 go back to the store, for both limiters.
    first.settle(1_000);
    await jest.advanceTimersByTimeAsync(0);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(first.tokens).toBe(1_000);
    const other = await two.acquire('openai', 2_000);
    expect(other.waitedMs).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('takes an aborted waiter out of the queue without charging it', async () => {
    const store = new MemoryRateLimitStore();
    const limiter = shared(store, { openai: { requestsPerMinute: 60 } });
    for (let i = 0; i < 60; i++) await limiter.acquire('openai', 0);
    const controller = new AbortController();
    const aborted = watch(limiter.acquire('openai', 0, controller.signal));
    const behind = watch(limiter.acquire('openai', 0));
    await jest.advanceTimersByTimeAsync(0);
    controller.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect(aborted.error).toBeInstanceOf(AbortError);
    expect(limiter.queued('openai')).toBe(1);
    // The waiter behind moves up and goes after one refill interval, not two.
    await jest.advanceTimersByTimeAsync(1_010);
    expect(behind.done).toBe(true);
    limiter.close();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('gives the charge back when the caller aborts while the store is granting it', async () => {
    const store = new MemoryRateLimitStore();
    const limiter = shared(store, { openai: { requestsPerMinute: 1 } });
    const controller = new AbortController();
    const aborted = limiter.acquire('openai', 0, controller.signal);
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    await jest.advanceTimersByTimeAsync(0);
    // The only request of the minute is still there.
    const permit = await limiter.acquire('openai', 0);
    expect(permit.waitedMs).toBe(0);
  });

  it('falls back to its own buckets when the store fails, and reports the failure', async () => {
    const store = new MemoryRateLimitStore();
    await store.close();
    const errors: unknown[] = [];
    const limiter = shared(store, { openai: { requestsPerMinute: 2, maxWaitMs: 60_000 } }, (e) => errors.push(e));
    await limiter.acquire('openai', 0);
    await limiter.acquire('openai', 0);
    const third = watch(limiter.acquire('openai', 0));
    await jest.advanceTimersByTimeAsync(29_000);
    expect(third.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(third.done && third.error === undefined).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(String(errors[0])).toContain('closed');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stops a waiter at maxWaitMs when other instances keep the bucket empty', async () => {
    const store = new MemoryRateLimitStore();
    const limits = { openai: { tokensPerMinute: 6_000, maxWaitMs: 2_000 } };
    const [one, two] = [shared(store, limits), shared(store, limits)];
    const first = await one.acquire('openai', 5_900);
    // 200 tokens: 100 are there, 100 more take one second.
    const waiter = watch(two.acquire('openai', 200));
    await jest.advanceTimersByTimeAsync(0);
    expect(waiter.done).toBe(false);
    // The other instance's call used far more than estimated: the bucket goes into debt.
    first.settle(11_000);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(waiter.error).toBeInstanceOf(RateLimitError);
    expect((waiter.error as RateLimitError).message).toContain('tokensPerMinute 6000');
    expect(two.queued('openai')).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('MemoryRateLimitStore', () => {
  it('takes from both buckets or neither, and names the bucket that binds', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore({ now: () => now });
    const limits = { requestsPerMinute: 2, tokensPerMinute: 600 };
    expect(await store.take({ provider: 'p', limits, requests: 1, tokens: 500 })).toEqual({ granted: true });
    expect(await store.take({ provider: 'p', limits, requests: 1, tokens: 200 })).toEqual({ granted: false, waitMs: 10_000, limit: 'tokensPerMinute' });
    // The refused take charged nothing: the request bucket still has one.
    expect(await store.take({ provider: 'p', limits, requests: 1, tokens: 100 })).toEqual({ granted: true });
    expect(await store.take({ provider: 'p', limits, requests: 1, tokens: 0 })).toEqual({ granted: false, waitMs: 30_000, limit: 'requestsPerMinute' });
    await store.adjust({ provider: 'p', limits, requests: -1, tokens: -600 });
    now = 1;
    expect(await store.take({ provider: 'p', limits, requests: 1, tokens: 50_000 })).toEqual({ granted: true });
    await expect(store.take({ provider: 'p', limits: { requestsPerMinute: 0 }, requests: 1, tokens: 0 })).rejects.toThrow(/requestsPerMinute must be a positive number/);
  });
});
