/**
 * The breaker's rate-limit cooldown (RELIABILITY.md "Rate limits are not outages"): `coolDown(id, ms)`
 * refuses a model for `ms` with `reason: 'cooling'` and the time left, never counts a failure, and
 * never opens the circuit however often it happens. All on an injected clock: no test waits.
 */
import { describe, expect, it } from '@jest/globals';
import { CircuitBreakerRegistry, MAX_RATE_LIMIT_COOLDOWN_MS } from '../../../src/resilience/circuit-breaker.js';

const ID = 'openai:gpt-4o-mini';

function registry(failureThreshold = 3, cooldownMs = 10_000) {
  const clock = { t: 5_000, now: () => clock.t };
  return { clock, breakers: new CircuitBreakerRegistry({ failureThreshold, cooldownMs, now: clock.now }) };
}

describe('CircuitBreakerRegistry cooldowns', () => {
  it('refuses a cooling model with the time left, then admits it when the cooldown has passed', () => {
    const { clock, breakers } = registry();
    breakers.coolDown(ID, 2_000);
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'cooling', retryInMs: 2_000 });
    clock.t += 1_500;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'cooling', retryInMs: 500 });
    expect(breakers.snapshot()).toEqual([{ id: ID, state: 'closed', consecutiveFailures: 0, coolingMs: 500 }]);
    clock.t += 500;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: false });
    // A healthy model whose cooldown is over holds no state again.
    expect(breakers.size).toBe(0);
    expect(breakers.snapshot()).toEqual([]);
  });

  it('never opens the circuit, however many rate limits a model answers', () => {
    const { clock, breakers } = registry(3);
    for (let i = 0; i < 50; i++) {
      breakers.coolDown(ID, 100);
      breakers.recordNeutral(ID, false);
      clock.t += 100;
    }
    expect(breakers.state(ID)).toBe('closed');
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: false });
  });

  it('neither adds to nor clears the failure count', () => {
    const { clock, breakers } = registry(3);
    breakers.recordFailure(ID);
    breakers.recordFailure(ID);
    breakers.coolDown(ID, 1_000);
    expect(breakers.snapshot()).toEqual([{ id: ID, state: 'closed', consecutiveFailures: 2, coolingMs: 1_000 }]);
    clock.t += 1_000;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: false });
    breakers.recordFailure(ID);
    expect(breakers.state(ID)).toBe('open');
  });

  it('keeps the longer of two cooldowns', () => {
    const { clock, breakers } = registry();
    breakers.coolDown(ID, 3_000);
    clock.t += 1_000;
    breakers.coolDown(ID, 500);
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'cooling', retryInMs: 2_000 });
    breakers.coolDown(ID, 4_000);
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'cooling', retryInMs: 4_000 });
  });

  it('caps one cooldown at MAX_RATE_LIMIT_COOLDOWN_MS and ignores a non-positive or non-finite one', () => {
    const { breakers } = registry();
    breakers.coolDown(ID, 10 * MAX_RATE_LIMIT_COOLDOWN_MS);
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'cooling', retryInMs: MAX_RATE_LIMIT_COOLDOWN_MS });
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) breakers.coolDown('openai:other', bad);
    expect(breakers.tryAcquire('openai:other')).toEqual({ allowed: true, probe: false });
  });

  it('a success does not end a cooldown (it may have started before the rate limit), but resets the failures', () => {
    const { clock, breakers } = registry(3);
    breakers.recordFailure(ID);
    breakers.coolDown(ID, 1_000);
    breakers.recordSuccess(ID);
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'cooling', retryInMs: 1_000 });
    expect(breakers.snapshot()).toEqual([{ id: ID, state: 'closed', consecutiveFailures: 0, coolingMs: 1_000 }]);
    clock.t += 1_000;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: false });
    expect(breakers.size).toBe(0);
  });

  it('an open circuit says open, with the wait until both the circuit and the cooldown allow a call', () => {
    const { clock, breakers } = registry(1, 1_000);
    breakers.recordFailure(ID);
    breakers.coolDown(ID, 3_000);
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'open', retryInMs: 3_000 });
    // The circuit's cooldown has passed but the model still cools: no probe while it does.
    clock.t += 1_000;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'cooling', retryInMs: 2_000 });
    clock.t += 2_000;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
  });

  it('a probe that meets a rate limit frees its slot and cools the model; the next probe waits for the cooldown', () => {
    const { clock, breakers } = registry(1, 1_000);
    breakers.recordFailure(ID);
    clock.t += 1_000;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
    // What the candidate guard does for a provider 429: cool, and settle neutral (the probe slot is freed).
    breakers.coolDown(ID, 400);
    breakers.recordNeutral(ID, true);
    expect(breakers.state(ID)).toBe('half-open');
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'cooling', retryInMs: 400 });
    clock.t += 400;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
    breakers.recordSuccess(ID);
    expect(breakers.state(ID)).toBe('closed');
    expect(breakers.size).toBe(0);
  });

  it('keeps cooldowns apart per provider:model', () => {
    const { breakers } = registry();
    breakers.coolDown(ID, 1_000);
    expect(breakers.tryAcquire('openai:gpt-4o').allowed).toBe(true);
    expect(breakers.tryAcquire(ID).allowed).toBe(false);
  });
});
