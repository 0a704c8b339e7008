import { describe, expect, it } from '@jest/globals';
import { errorFromStatus, parseRetryAfter } from '../../../src/core/error-mapping.js';
import { AbortError, AuthenticationError, InvalidRequestError, ProviderError, RateLimitError } from '../../../src/core/errors.js';
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from '../../../src/resilience/retry.js';
import { ALL_BUILTIN_ERROR_QUIRKS } from '../../helpers/builtin-error-quirks.js';

// Provider quirks (529 among them) come with the origin, from the definitions.
const origin = { provider: 'openai', model: 'gpt-4o-mini', quirks: ALL_BUILTIN_ERROR_QUIRKS };
// A whole second, so HTTP dates (second resolution) round-trip exactly.
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads retry-after-ms in milliseconds', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(parseRetryAfter({ 'retry-after-ms': '1500.5' })).toBe(1500.5);
  });

  it('prefers retry-after-ms over retry-after', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '30' }))).toBe(250);
  });

  it('falls back to retry-after when retry-after-ms is unusable', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': 'soon', 'retry-after': '2' }))).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '-5', 'retry-after': '2' }))).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '   ', 'retry-after': '2' }))).toBe(2000);
  });

  it('reads retry-after in seconds, fractions included', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '1' }))).toBe(1000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.25' }))).toBe(250);
    expect(parseRetryAfter(new Headers({ 'retry-after': '3600' }))).toBe(3_600_000);
  });

  it('reads retry-after as an HTTP date relative to now', () => {
    const in30s = new Date(NOW + 30_000).toUTCString();
    expect(parseRetryAfter(new Headers({ 'retry-after': in30s }), NOW)).toBe(30_000);
    const past = new Date(NOW - 5_000).toUTCString();
    expect(parseRetryAfter(new Headers({ 'retry-after': past }), NOW)).toBe(0);
  });

  it('ignores missing, empty, negative and unparseable values', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter(new Headers())).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': '' }))).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': '-1' }))).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'retry-after': 'whenever' }))).toBeUndefined();
  });

  it('accepts plain header records with lower-case names and array values', () => {
    expect(parseRetryAfter({ 'retry-after': '4' })).toBe(4000);
    expect(parseRetryAfter({ 'retry-after': ['5', '6'] })).toBe(5000);
  });
});

const policy: RetryPolicy = { maxRetries: 3, maxRetryAfterMs: 60_000, baseDelayMs: 500, maxDelayMs: 8_000 };

function retryable(retryAfterMs?: number): ProviderError {
  return new ProviderError('openai:gpt-4o-mini answered 503', { ...origin, status: 503, retryable: true, retryAfterMs });
}

describe('decideRetry', () => {
  it('waits exactly the Retry-After delay when it is within the cap', () => {
    expect(decideRetry(retryable(250), 0, policy)).toEqual({ retry: true, delayMs: 250 });
    expect(decideRetry(retryable(60_000), 0, policy)).toEqual({ retry: true, delayMs: 60_000 });
  });

  it('gives up on the candidate at once when Retry-After is over the cap, even with retries left', () => {
    expect(decideRetry(retryable(60_001), 0, policy)).toEqual({ retry: false, reason: 'retry-after-too-long' });
    expect(decideRetry(retryable(3_600_000), 0, DEFAULT_RETRY_POLICY)).toEqual({ retry: false, reason: 'retry-after-too-long' });
  });

  it('uses backoff when Retry-After is 0 (a date already past)', () => {
    const decision = decideRetry(retryable(0), 0, policy, () => 0);
    expect(decision).toEqual({ retry: true, delayMs: 250 });
  });

  it('keeps backoff with equal jitter inside [ceiling/2, ceiling], the ceiling doubling up to maxDelayMs', () => {
    const wide: RetryPolicy = { ...policy, maxRetries: 10 };
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let retries = 0; retries < 8; retries++) {
      const ceiling = Math.min(wide.maxDelayMs, wide.baseDelayMs * 2 ** retries);
      expect(decideRetry(retryable(), retries, wide, () => 0)).toEqual({ retry: true, delayMs: ceiling / 2 });
      const top = decideRetry(retryable(), retries, wide, () => 0.999_999);
      expect(top).toEqual({ retry: true, delayMs: ceiling });
      for (let i = 0; i < 200; i++) {
        const decision = decideRetry(retryable(), retries, wide, random);
        if (!decision.retry) throw new Error('expected a retry');
        expect(decision.delayMs).toBeGreaterThanOrEqual(ceiling / 2);
        expect(decision.delayMs).toBeLessThanOrEqual(ceiling);
      }
    }
    // Far past the cap the exponent must not overflow into a non-finite delay.
    const late = decideRetry(retryable(), 9, wide, () => 0.5);
    expect(late).toEqual({ retry: true, delayMs: 6000 });
  });

  it('spreads jittered delays instead of repeating one value', () => {
    const delays = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const decision = decideRetry(retryable(), 2, policy);
      if (decision.retry) delays.add(decision.delayMs);
    }
    expect(delays.size).toBeGreaterThan(5);
  });

  it('stops when retries are used up', () => {
    expect(decideRetry(retryable(), 3, policy)).toEqual({ retry: false, reason: 'exhausted' });
    expect(decideRetry(retryable(250), 3, policy)).toEqual({ retry: false, reason: 'exhausted' });
    expect(decideRetry(retryable(), 0, { ...policy, maxRetries: 0 })).toEqual({ retry: false, reason: 'exhausted' });
  });

  it('never retries errors that are not retryable', () => {
    const notRetryable = [
      new AuthenticationError('401'),
      new InvalidRequestError('400'),
      new AbortError(),
      new ProviderError('404-ish', { status: 418 }),
    ];
    for (const error of notRetryable) expect(decideRetry(error, 0, policy)).toEqual({ retry: false, reason: 'not-retryable' });
  });
});

describe('decideRetry on mapped HTTP failures', () => {
  it('retries a 429 after its retry-after-ms and a 503 after its retry-after', () => {
    const limited = errorFromStatus(429, 'slow down', origin, { headers: new Headers({ 'retry-after-ms': '250' }) });
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(decideRetry(limited, 0, policy)).toEqual({ retry: true, delayMs: 250 });
    const unavailable = errorFromStatus(503, 'busy', origin, { headers: { 'retry-after': '1' } });
    expect(decideRetry(unavailable, 0, policy)).toEqual({ retry: true, delayMs: 1000 });
  });

  it('moves on at once for a 3600 s Retry-After', () => {
    const error = errorFromStatus(429, 'come back later', origin, { headers: new Headers({ 'retry-after': '3600' }) });
    expect(decideRetry(error, 0, DEFAULT_RETRY_POLICY)).toEqual({ retry: false, reason: 'retry-after-too-long' });
  });

  it('retries 408, 409, 500, 502, 503, 504 and 529 with backoff when no header is sent', () => {
    for (const status of [408, 409, 500, 502, 503, 504, 529]) {
      const decision = decideRetry(errorFromStatus(status, 'boom', origin), 0, policy, () => 0);
      expect({ status, decision }).toEqual({ status, decision: { retry: true, delayMs: 250 } });
    }
  });

  it('does not retry 400, 401, 403, 404, 413, 422 or quota exhaustion', () => {
    for (const status of [400, 401, 403, 404, 413, 422]) {
      expect({ status, decision: decideRetry(errorFromStatus(status, 'no', origin), 0, policy) }).toEqual({
        status,
        decision: { retry: false, reason: 'not-retryable' },
      });
    }
    const quota = errorFromStatus(429, 'You exceeded your current quota', origin, { code: 'insufficient_quota', headers: { 'retry-after': '1' } });
    expect(decideRetry(quota, 0, policy)).toEqual({ retry: false, reason: 'not-retryable' });
  });
});
