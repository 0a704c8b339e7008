/** The router's state on an injected clock: cooldown rules, rpm limits, models, in-flight counts, stats. */
import { describe, expect, it } from '@jest/globals';
import { ProviderError, RateLimitError, InvalidRequestError } from '../../../src/core/errors.js';
import { cooldownFor } from '../../../src/routing/cooldown-store.js';
import { DeploymentPool } from '../../../src/routing/deployment-pool.js';

function pool(deployments: ConstructorParameters<typeof DeploymentPool>[1], clock: { t: number }) {
  return new DeploymentPool('openai', deployments, { now: () => clock.t, routing: { strategy: 'least-busy', cooldownMs: 30_000, latencyExploration: 0 } });
}

describe('cooldownFor', () => {
  it('429 for its Retry-After, else cooldownMs; 5xx and connection failures cooldownMs; the rest none', () => {
    expect(cooldownFor(new RateLimitError('x', { retryAfterMs: 2000 }), 30_000)).toBe(2000);
    expect(cooldownFor(new RateLimitError('x'), 30_000)).toBe(30_000);
    expect(cooldownFor(new RateLimitError('x', { kind: 'local' as never }), 30_000)).toBeUndefined();
    expect(cooldownFor(new ProviderError('x', { status: 503 }), 30_000)).toBe(30_000);
    expect(cooldownFor(new ProviderError('x', { retryable: true }), 30_000)).toBe(30_000);
    expect(cooldownFor(new ProviderError('x', { status: 400 }), 30_000)).toBeUndefined();
    expect(cooldownFor(new InvalidRequestError('x'), 30_000)).toBeUndefined();
  });
});

describe('DeploymentPool', () => {
  it('skips a cooling deployment until its Retry-After has passed, then routes to it again', async () => {
    const clock = { t: 0 };
    const p = pool([{ name: 'a' }, { name: 'b' }], clock);
    const first = (await p.acquire('m', 0))!;
    expect(first.ref.name).toBe('a');
    expect(p.failed(first, new RateLimitError('429', { retryAfterMs: 2000 }))).toBe(true);
    for (const t of [1, 1000, 1999]) {
      clock.t = t;
      const lease = (await p.acquire('m', 0))!;
      expect(lease.ref.name).toBe('b');
      p.succeeded(lease);
    }
    clock.t = 2000;
    expect((await p.acquire('m', 0))!.ref.name).toBe('a');
  });

  it('all cooling: no lease, and the wait until the first is free', async () => {
    const clock = { t: 0 };
    const p = pool([{ name: 'a' }, { name: 'b' }], clock);
    p.failed((await p.acquire('m', 0))!, new RateLimitError('429', { retryAfterMs: 5000 }));
    p.failed((await p.acquire('m', 0))!, new ProviderError('500', { status: 500 }));
    expect(await p.acquire('m', 0)).toBeUndefined();
    expect(p.available('m')).toBe(false);
    expect(p.retryInMs('m')).toBe(5000);
    expect(p.stats()['openai/a']).toMatchObject({ requests: 1, errors: 1, inFlight: 0, cooling: true });
  });

  it('least-busy spreads concurrent attempts; models limits what a deployment serves', async () => {
    const clock = { t: 0 };
    const p = pool([{ name: 'a' }, { name: 'b' }, { name: 'mini', models: ['small'] }], clock);
    const names = [];
    for (let i = 0; i < 4; i++) names.push((await p.acquire('big', 0))!.ref.name);
    expect(names.sort()).toEqual(['a', 'a', 'b', 'b']);
    expect(p.serves('small')).toBe(true);
    expect((await p.acquire('small', 0))!.ref.name).toBe('mini');
  });

  it('a deployment at its rpm is skipped until its bucket refills', async () => {
    const clock = { t: 0 };
    const p = pool([{ name: 'a', rpm: 2, weight: 5 }, { name: 'b' }], clock);
    const got = [];
    for (let i = 0; i < 3; i++) {
      const lease = (await p.acquire('m', 0))!;
      got.push(lease.ref.name);
      p.succeeded(lease);
    }
    expect(got).toEqual(['a', 'a', 'b']);
    clock.t = 30_000;
    expect((await p.acquire('m', 0))!.ref.name).toBe('a');
  });

  it('a lease is settled once: abandoned after succeeded changes nothing', async () => {
    const clock = { t: 0 };
    const p = pool([{ name: 'a' }], clock);
    const lease = (await p.acquire('m', 0))!;
    clock.t = 40;
    p.succeeded(lease);
    p.abandoned(lease);
    expect(p.stats()['openai/a']).toEqual({ requests: 1, errors: 0, inFlight: 0, cooling: false, avgLatencyMs: 40 });
  });
});
