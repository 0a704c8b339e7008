import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { AbortError, ConfigError, LLMError, RateLimitError, TimeoutError } from '../../../src/core/errors.js';
import { RateLimiter, type RateLimitPermit } from '../../../src/resilience/rate-limiter.js';
import { expectRateLimit, watch } from './promise-watch.js';


describe('RateLimiter', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('lets a burst of requestsPerMinute through, then spaces requests at the refill rate', async () => {
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 60 } } });
    for (let i = 0; i < 60; i++) await limiter.acquire('openai', 10);
    const next = watch(limiter.acquire('openai', 10));
    const after = watch(limiter.acquire('openai', 10));
    await jest.advanceTimersByTimeAsync(990);
    expect(next.done).toBe(false);
    await jest.advanceTimersByTimeAsync(20);
    expect(next.done).toBe(true);
    expect((next.value as RateLimitPermit).waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(after.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(after.done).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('limits tokens per minute and corrects the bucket when the call settles', async () => {
    const limiter = new RateLimiter({ limits: { openai: { tokensPerMinute: 6_000 } } });
    const first = await limiter.acquire('openai', 6_000);
    const second = watch(limiter.acquire('openai', 600));
    // 100 tokens per second refill: 600 tokens take 6 s.
    await jest.advanceTimersByTimeAsync(3_000);
    expect(second.done).toBe(false);
    // The first call really used 1,000 tokens: 5,000 come back and the waiter goes at once.
    first.settle(1_000);
    await jest.advanceTimersByTimeAsync(0);
    expect(second.done).toBe(true);
    expect(first.tokens).toBe(1_000);
    // A second settle is ignored.
    first.settle(0);
    expect(first.tokens).toBe(1_000);
  });

  it('carries an under-estimate as debt that delays later callers', async () => {
    const limiter = new RateLimiter({ limits: { openai: { tokensPerMinute: 6_000 } } });
    const permit = await limiter.acquire('openai', 100);
    permit.settle(6_100);
    const next = watch(limiter.acquire('openai', 100));
    await jest.advanceTimersByTimeAsync(1_900);
    expect(next.done).toBe(false);
    await jest.advanceTimersByTimeAsync(200);
    expect(next.done).toBe(true);
  });

  it('serves waiters in order: a large request at the head is not overtaken', async () => {
    const limiter = new RateLimiter({ limits: { openai: { tokensPerMinute: 6_000, maxWaitMs: 60_000 } } });
    await limiter.acquire('openai', 6_000);
    const order: string[] = [];
    const big = limiter.acquire('openai', 3_000).then(() => order.push('big'));
    const small = limiter.acquire('openai', 10).then(() => order.push('small'));
    await jest.advanceTimersByTimeAsync(29_000);
    expect(order).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_200);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
  });

  it('refuses at once, naming the limit and the config key, when the wait would pass maxWaitMs', async () => {
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 6, maxWaitMs: 5_000 } } });
    for (let i = 0; i < 6; i++) await limiter.acquire('openai', 0);
    // 6 per minute = one every 10 s: more than the 5 s we may wait.
    const error = await expectRateLimit(limiter.acquire('openai', 0));
    expect(error.retryable).toBe(false);
    expect(error.provider).toBe('openai');
    expect(error.retryAfterMs).toBe(10_000);
    expect(error.message).toContain('requestsPerMinute 6');
    expect(error.message).toContain('resilience.rateLimits.openai.requestsPerMinute');
    expect(error.message).toContain('resilience.rateLimits.openai.maxWaitMs');
    expect(limiter.queued('openai')).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('names tokensPerMinute when that is the limit that binds', async () => {
    const limiter = new RateLimiter({ limits: { anthropic: { requestsPerMinute: 1_000, tokensPerMinute: 1_000, maxWaitMs: 1_000 } } });
    await limiter.acquire('anthropic', 1_000);
    const error = await expectRateLimit(limiter.acquire('anthropic', 500));
    expect(error.message).toContain('tokensPerMinute 1000');
    expect(error.message).toContain('resilience.rateLimits.anthropic.tokensPerMinute');
  });

  it('gives up after maxWaitMs when corrections make the wait longer than predicted', async () => {
    const limiter = new RateLimiter({ limits: { openai: { tokensPerMinute: 6_000, maxWaitMs: 2_000 } } });
    const first = await limiter.acquire('openai', 6_000);
    const waiter = watch(limiter.acquire('openai', 100));
    first.settle(12_000);
    await jest.advanceTimersByTimeAsync(1_999);
    expect(waiter.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(waiter.error).toBeInstanceOf(RateLimitError);
    expect((waiter.error as RateLimitError).message).toContain('waited maxWaitMs (2000 ms)');
    expect(limiter.queued('openai')).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('bounds the queue per provider', async () => {
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 60, maxWaitMs: 60_000 } }, maxQueuedPerProvider: 3 });
    for (let i = 0; i < 60; i++) await limiter.acquire('openai', 0);
    const waiting = [0, 1, 2].map(() => watch(limiter.acquire('openai', 0)));
    expect(limiter.queued('openai')).toBe(3);
    const error = await expectRateLimit(limiter.acquire('openai', 0));
    expect(error.message).toContain('the queue holds 3');
    await jest.advanceTimersByTimeAsync(3_100);
    expect(waiting.every((w) => w.done && w.error === undefined)).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('takes an aborted waiter out of the queue with AbortError', async () => {
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 60 } } });
    for (let i = 0; i < 60; i++) await limiter.acquire('openai', 0);
    const controller = new AbortController();
    const aborted = watch(limiter.acquire('openai', 0, controller.signal));
    const behind = watch(limiter.acquire('openai', 0));
    controller.abort();
    await jest.advanceTimersByTimeAsync(0);
    expect(aborted.error).toBeInstanceOf(AbortError);
    expect(limiter.queued('openai')).toBe(1);
    // The waiter behind moves up and goes after one refill interval, not two.
    await jest.advanceTimersByTimeAsync(1_010);
    expect(behind.done).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    await expect(limiter.acquire('openai', 0, AbortSignal.abort())).rejects.toBeInstanceOf(AbortError);
  });

  it('passes the signal reason through (the pipeline deadline is a TimeoutError)', async () => {
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 10 } } });
    for (let i = 0; i < 10; i++) await limiter.acquire('openai', 0);
    const controller = new AbortController();
    const waiting = watch(limiter.acquire('openai', 0, controller.signal));
    const reason = new TimeoutError('deadline passed');
    controller.abort(reason);
    await jest.advanceTimersByTimeAsync(0);
    expect(waiting.error).toBe(reason);
    expect(LLMError.isInstance(waiting.error)).toBe(true);
  });

  it('charges a request estimated above tokensPerMinute one full bucket instead of refusing it', async () => {
    const limiter = new RateLimiter({ limits: { openai: { tokensPerMinute: 1_000, maxWaitMs: 120_000 } } });
    const huge = await limiter.acquire('openai', 50_000);
    expect(huge.tokens).toBe(1_000);
    const next = watch(limiter.acquire('openai', 50_000));
    await jest.advanceTimersByTimeAsync(59_000);
    expect(next.done).toBe(false);
    await jest.advanceTimersByTimeAsync(1_100);
    expect(next.done).toBe(true);
  });

  it('does not limit providers without a configured limit', async () => {
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 1 } } });
    for (let i = 0; i < 1_000; i++) await limiter.acquire('anthropic', 1_000_000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('close() rejects waiters and leaves no timer', async () => {
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 10 } } });
    for (let i = 0; i < 10; i++) await limiter.acquire('openai', 0);
    const waiting = watch(limiter.acquire('openai', 0));
    limiter.close();
    await jest.advanceTimersByTimeAsync(0);
    expect(waiting.error).toBeInstanceOf(AbortError);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects bad limits with ConfigError naming each key', () => {
    try {
      new RateLimiter({ limits: { openai: { requestsPerMinute: 0, tokensPerMinute: Number.NaN, maxWaitMs: -1 } } });
      throw new Error('expected ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.key)).toEqual([
        'resilience.rateLimits.openai.requestsPerMinute',
        'resilience.rateLimits.openai.tokensPerMinute',
        'resilience.rateLimits.openai.maxWaitMs',
      ]);
    }
  });
});

describe('RateLimiter with real time', () => {
  it('keeps to a short window and leaves nothing running', async () => {
    // 1,200 per minute = a burst of 1,200, then one every 50 ms: request 1,202 goes 100 ms after the start.
    const started = performance.now();
    const limiter = new RateLimiter({ limits: { fast: { requestsPerMinute: 1_200 } } });
    for (let i = 0; i < 1_202; i++) await limiter.acquire('fast', 0);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(99);
    expect(elapsed).toBeLessThan(1_000);
  });
});
