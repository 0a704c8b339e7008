import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../src/core/errors.js';
import { CircuitBreakerRegistry } from '../../../src/resilience/circuit-breaker.js';

const ID = 'openai:gpt-4o-mini';

function makeClock() {
  const clock = { t: 1_000, now: () => clock.t };
  return clock;
}

function registry(clock = makeClock(), failureThreshold = 5, cooldownMs = 1_000) {
  return { clock, breakers: new CircuitBreakerRegistry({ failureThreshold, cooldownMs, now: clock.now }) };
}

describe('CircuitBreakerRegistry', () => {
  it('opens within 20 calls when the primary is fully down, then rejects fast', () => {
    const { breakers } = registry();
    let callsUntilOpen = 0;
    for (let call = 1; call <= 20 && breakers.state(ID) !== 'open'; call++) {
      const admission = breakers.tryAcquire(ID);
      expect(admission).toEqual({ allowed: true, probe: false });
      breakers.recordFailure(ID);
      callsUntilOpen = call;
    }
    expect(breakers.state(ID)).toBe('open');
    expect(callsUntilOpen).toBe(5);
    for (let i = 0; i < 50; i++) {
      const admission = breakers.tryAcquire(ID);
      expect(admission.allowed).toBe(false);
      if (!admission.allowed) expect(admission.retryInMs).toBe(1_000);
    }
  });

  it('counts only consecutive failures: a success in between resets the count', () => {
    const { breakers } = registry();
    for (let i = 0; i < 4; i++) breakers.recordFailure(ID);
    breakers.recordSuccess(ID);
    for (let i = 0; i < 4; i++) breakers.recordFailure(ID);
    expect(breakers.state(ID)).toBe('closed');
    breakers.recordFailure(ID);
    expect(breakers.state(ID)).toBe('open');
  });

  it('keeps breakers apart per provider:model', () => {
    const { breakers } = registry(makeClock(), 1);
    breakers.recordFailure(ID);
    expect(breakers.state(ID)).toBe('open');
    expect(breakers.tryAcquire('openai:gpt-4o')).toEqual({ allowed: true, probe: false });
    expect(breakers.tryAcquire('anthropic:gpt-4o-mini')).toEqual({ allowed: true, probe: false });
  });

  it('reports the time left while open', () => {
    const { clock, breakers } = registry(makeClock(), 1, 1_000);
    breakers.recordFailure(ID);
    clock.t += 400;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'open', retryInMs: 600 });
    expect(breakers.snapshot()).toEqual([{ id: ID, state: 'open', consecutiveFailures: 1, retryInMs: 600 }]);
  });

  it('lets exactly one of 100 concurrent callers probe after the cooldown', async () => {
    const { clock, breakers } = registry();
    for (let i = 0; i < 5; i++) breakers.recordFailure(ID);
    clock.t += 1_000;
    expect(breakers.state(ID)).toBe('half-open');
    const admissions = await Promise.all(
      Array.from({ length: 100 }, async () => {
        await Promise.resolve();
        return breakers.tryAcquire(ID);
      }),
    );
    const probes = admissions.filter((a) => a.allowed);
    expect(probes).toEqual([{ allowed: true, probe: true }]);
    expect(admissions.filter((a) => !a.allowed)).toHaveLength(99);
    expect(breakers.state(ID)).toBe('half-open');
  });

  it('sends at most one probe per cooldown while the model stays down', async () => {
    const { clock, breakers } = registry(makeClock(), 5, 1_000);
    for (let i = 0; i < 5; i++) breakers.recordFailure(ID);
    const openedAt = clock.t;
    const probeTimes: number[] = [];
    // 10 simulated seconds, 100 callers every 50 ms; every probe fails 30 ms after it starts.
    const pending: Array<{ at: number }> = [];
    for (let step = 0; step < 200; step++) {
      clock.t = openedAt + step * 50;
      for (const p of pending.splice(0)) {
        if (p.at <= clock.t) breakers.recordFailure(ID);
        else pending.push(p);
      }
      const admissions = await Promise.all(Array.from({ length: 100 }, async () => breakers.tryAcquire(ID)));
      for (const admission of admissions) {
        if (admission.allowed) {
          expect(admission.probe).toBe(true);
          probeTimes.push(clock.t);
          pending.push({ at: clock.t + 30 });
        }
      }
    }
    expect(probeTimes.length).toBeGreaterThanOrEqual(8);
    for (let i = 1; i < probeTimes.length; i++) expect(probeTimes[i]! - probeTimes[i - 1]!).toBeGreaterThanOrEqual(1_000);
  });

  it('closes when the probe succeeds', () => {
    const { clock, breakers } = registry();
    for (let i = 0; i < 5; i++) breakers.recordFailure(ID);
    clock.t += 1_000;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
    breakers.recordSuccess(ID);
    expect(breakers.state(ID)).toBe('closed');
    for (let i = 0; i < 10; i++) expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: false });
    expect(breakers.snapshot()).toEqual([]);
  });

  it('re-opens for a full cooldown when the probe fails', () => {
    const { clock, breakers } = registry();
    for (let i = 0; i < 5; i++) breakers.recordFailure(ID);
    clock.t += 1_500;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
    clock.t += 200;
    breakers.recordFailure(ID);
    expect(breakers.state(ID)).toBe('open');
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'open', retryInMs: 1_000 });
    clock.t += 999;
    expect(breakers.tryAcquire(ID).allowed).toBe(false);
    clock.t += 1;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
  });

  it('lets a new probe through when a probe never reports back within a cooldown', () => {
    const { clock, breakers } = registry();
    for (let i = 0; i < 5; i++) breakers.recordFailure(ID);
    clock.t += 1_000;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
    clock.t += 500;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: false, reason: 'open', retryInMs: 500 });
    clock.t += 500;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
  });

  it('frees the probe slot on a neutral outcome of the probe, not of a straggler', () => {
    const { clock, breakers } = registry();
    for (let i = 0; i < 5; i++) breakers.recordFailure(ID);
    clock.t += 1_000;
    expect(breakers.tryAcquire(ID).allowed).toBe(true);
    breakers.recordNeutral(ID, false);
    expect(breakers.tryAcquire(ID).allowed).toBe(false);
    breakers.recordNeutral(ID, true);
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
    expect(breakers.tryAcquire(ID).allowed).toBe(false);
  });

  it('ignores late outcomes of calls that started before the circuit opened', () => {
    const { clock, breakers } = registry();
    for (let i = 0; i < 5; i++) breakers.recordFailure(ID);
    clock.t += 600;
    breakers.recordSuccess(ID);
    expect(breakers.state(ID)).toBe('open');
    breakers.recordFailure(ID);
    // The cooldown still ends 1000 ms after opening, not after the straggler.
    clock.t += 400;
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
  });

  it('keeps at most maxEntries breakers, dropping the least recently used', () => {
    const clock = makeClock();
    const breakers = new CircuitBreakerRegistry({ failureThreshold: 1, cooldownMs: 1_000, maxEntries: 100, now: clock.now });
    for (let i = 0; i < 1_000; i++) breakers.recordFailure(`fake:model-${i}`);
    expect(breakers.size).toBe(100);
    expect(breakers.snapshot()).toHaveLength(100);
    expect(breakers.state('fake:model-999')).toBe('open');
    expect(breakers.state('fake:model-0')).toBe('closed');
  });

  it('holds no state for healthy models', () => {
    const { breakers } = registry();
    for (let i = 0; i < 100; i++) {
      breakers.tryAcquire(`fake:m${i}`);
      breakers.recordSuccess(`fake:m${i}`);
    }
    expect(breakers.size).toBe(0);
  });

  it('works with the default monotonic clock', async () => {
    const breakers = new CircuitBreakerRegistry({ failureThreshold: 1, cooldownMs: 30 });
    breakers.recordFailure(ID);
    expect(breakers.tryAcquire(ID).allowed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 45));
    expect(breakers.tryAcquire(ID)).toEqual({ allowed: true, probe: true });
  });

  it('rejects bad settings with ConfigError naming the key', () => {
    expect(() => new CircuitBreakerRegistry({ failureThreshold: 0, cooldownMs: 1_000 })).toThrow(ConfigError);
    try {
      new CircuitBreakerRegistry({ failureThreshold: 2.5, cooldownMs: Number.NaN });
      throw new Error('expected ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.key)).toEqual([
        'resilience.circuitBreaker.failureThreshold',
        'resilience.circuitBreaker.cooldownMs',
      ]);
    }
  });
});
