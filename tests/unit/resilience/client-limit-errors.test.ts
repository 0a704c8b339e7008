/**
 * Whose limit a RateLimitError is (`kind`), and when to come back (`retryAfterMs`), where the errors
 * are made: a provider 429 is `upstream`, quota exhaustion `quota`, and our own RateLimiter,
 * ConcurrencyLimiter and llama.cpp call queue `client`, each with the estimated wait until a permit.
 * Then the gateway's HTTP form of each (docs/gateway.md "Errors"). Clocks injected; nothing waits.
 */
import { describe, expect, it } from '@jest/globals';
import { errorFromStatus } from '../../../src/core/error-mapping.js';
import { CircuitOpenError, RateLimitError } from '../../../src/core/errors.js';
import { CallQueue } from '../../../src/managers/llamacpp/call-queue.js';
import { toHttpFailure } from '../../../src/server/errors.js';
import { ConcurrencyLimiter } from '../../../src/resilience/concurrency-limiter.js';
import { HoldTimeEstimate } from '../../../src/resilience/hold-time.js';
import { RateLimiter } from '../../../src/resilience/rate-limiter.js';

const origin = { provider: 'openai', model: 'gpt-4o-mini' };

function manualClock() {
  const clock = { t: 0, now: () => clock.t };
  return clock;
}

async function rejection(promise: Promise<unknown>): Promise<RateLimitError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(RateLimitError);
  return error as RateLimitError;
}

describe('RateLimitError kinds where they are made', () => {
  it('a provider 429 is upstream and retryable with its Retry-After; quota exhaustion is quota and final', () => {
    const limited = errorFromStatus(429, 'Rate limit reached', origin, { headers: { 'retry-after': '2' } }) as RateLimitError;
    expect(limited).toMatchObject({ kind: 'upstream', retryable: true, retryAfterMs: 2_000 });
    const quota = errorFromStatus(429, 'You exceeded your current quota', origin, { code: 'insufficient_quota' }) as RateLimitError;
    expect(quota).toMatchObject({ kind: 'quota', retryable: false });
    expect(new RateLimitError('x', { kind: 'quota' }).retryable).toBe(false);
    expect(new RateLimitError('x').kind).toBe('upstream');
    expect(limited.toJSON()).toMatchObject({ code: 'rate_limit', kind: 'upstream', retryAfterMs: 2_000 });
  });

  it('the RateLimiter refuses a wait past maxWaitMs as client, with the predicted wait', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 1, maxWaitMs: 0 } }, now: clock.now });
    (await limiter.acquire('openai', 10)).settle(10);
    clock.t += 15_000;
    const refused = await rejection(limiter.acquire('openai', 10));
    expect(refused).toMatchObject({ kind: 'client', retryable: false, retryAfterMs: 45_000, provider: 'openai' });
    limiter.close();
  });

  it('a full RateLimiter queue is client, with the wait of a newcomer', async () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limits: { openai: { requestsPerMinute: 60 } }, maxQueuedPerProvider: 1, now: clock.now });
    for (let i = 0; i < 60; i++) await limiter.acquire('openai', 1);
    const queued = limiter.acquire('openai', 1);
    queued.catch(() => undefined);
    const refused = await rejection(limiter.acquire('openai', 1));
    expect(refused.kind).toBe('client');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    limiter.close();
  });

  it('a full ConcurrencyLimiter queue is client, with the wait estimated from how long slots are held', async () => {
    const clock = manualClock();
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 2, maxQueued: 1, now: clock.now });
    // Two calls that held their slots 100 ms and 300 ms: the running average is 140 ms.
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    clock.t += 100;
    first();
    clock.t += 200;
    second();
    const holders = [await limiter.acquire(), await limiter.acquire()];
    const waiting = limiter.acquire();
    const refused = await rejection(limiter.acquire());
    // One caller ahead, two slots: the newcomer's slot frees after about one average hold.
    expect(refused).toMatchObject({ kind: 'client', retryable: false, retryAfterMs: 140 });
    for (const release of holders) release();
    (await waiting)();
  });

  it('a full ConcurrencyLimiter queue before any slot came back has no estimate (the gateway still says retry-after 1)', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrency: 1, maxQueued: 0 });
    const holder = await limiter.acquire();
    const refused = await rejection(limiter.acquire());
    expect(refused.kind).toBe('client');
    expect(refused.retryAfterMs).toBeUndefined();
    expect(toHttpFailure(refused, 1024).headers).toEqual({ 'retry-after': '1' });
    holder();
  });

  it('a full llama.cpp call queue is client and retryable, with the wait of its turns', async () => {
    const queue = new CallQueue(1, { provider: 'llamacpp', model: 'tiny' });
    const signal = new AbortController().signal;
    const release = await queue.acquire(signal);
    const waiting = queue.acquire(signal);
    const refused = await rejection(queue.acquire(signal));
    expect(refused).toMatchObject({ kind: 'client', retryable: true, provider: 'llamacpp', model: 'tiny' });
    release();
    (await waiting)();
    // Now one turn has been measured: the estimate exists.
    const again = await queue.acquire(signal);
    const behind = queue.acquire(signal);
    const estimated = await rejection(queue.acquire(signal));
    expect(estimated.retryAfterMs).toEqual(expect.any(Number));
    again();
    (await behind)();
  });

  it('HoldTimeEstimate: nothing before the first hold, then turns ahead times the average', () => {
    const clock = manualClock();
    const holds = new HoldTimeEstimate(clock.now);
    expect(holds.waitMs(0, 1)).toBeUndefined();
    const at = holds.granted();
    clock.t += 50;
    holds.released(at);
    expect(holds.waitMs(0, 1)).toBe(50);
    expect(holds.waitMs(3, 1)).toBe(200);
    expect(holds.waitMs(3, 4)).toBe(50);
    expect(holds.waitMs(0, Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('the gateway form of rate limits and open circuits', () => {
  it('quota: 429 insufficient_quota, x-should-retry false, no retry-after', () => {
    const failure = toHttpFailure(new RateLimitError('quota gone', { kind: 'quota' }), 1024);
    expect(failure.status).toBe(429);
    expect(failure.body.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(failure.headers).toEqual({ 'x-should-retry': 'false' });
  });

  it.each(['upstream', 'client'] as const)('%s: 429 rate_limit_exceeded with retry-after (whole seconds, at least 1) and retry-after-ms', (kind) => {
    for (const [ms, seconds] of [[2_000, '2'], [1_500, '2'], [120, '1'], [0, '1']] as const) {
      const failure = toHttpFailure(new RateLimitError('slow down', { kind, retryable: kind !== 'client', retryAfterMs: ms }), 1024);
      expect(failure.status).toBe(429);
      expect(failure.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(failure.headers).toEqual({ 'retry-after': seconds, 'retry-after-ms': String(ms) });
    }
  });

  it('a client-side limit past its wait (not retryable) is a rate limit to come back to, not exhausted quota', () => {
    const failure = toHttpFailure(new RateLimitError('wait longer', { kind: 'client', retryable: false, retryAfterMs: 45_000 }), 1024);
    expect(failure.status).toBe(429);
    expect(failure.body.error.code).toBe('rate_limit_exceeded');
    expect(failure.headers).toEqual({ 'retry-after': '45', 'retry-after-ms': '45000' });
  });

  it('circuit open: 503 circuit_open with retry-after (the time until the probe)', () => {
    const failure = toHttpFailure(new CircuitOpenError('failing', { retryAfterMs: 29_001 }), 1024);
    expect(failure.status).toBe(503);
    expect(failure.body.error.code).toBe('circuit_open');
    expect(failure.headers).toEqual({ 'retry-after': '30', 'retry-after-ms': '29001' });
    expect(toHttpFailure(new CircuitOpenError('failing'), 1024).headers).toEqual({ 'retry-after': '1' });
  });
});
