import { describe, expect, it } from '@jest/globals';
import { ModelCache, type ModelOwner } from '../../../src/cache/model-cache.js';
import { InvalidRequestError } from '../../../src/core/errors.js';

/** An owner that records what it unloads. */
function owner(): ModelOwner & { unloaded: unknown[] } {
  const unloaded: unknown[] = [];
  return { provider: 'test', unloaded, releaseModel: async (model) => void unloaded.push(model) };
}

describe('ModelCache', () => {
  it('loads once for concurrent acquires of one id', async () => {
    const cache = new ModelCache({ max: 4 });
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 10));
      return { name: 'm' };
    };
    const o = owner();
    const leases = await Promise.all(Array.from({ length: 20 }, () => cache.acquire('p:m', o, load)));
    expect(loads).toBe(1);
    expect(new Set(leases.map((l) => l.model)).size).toBe(1);
    leases.forEach((l) => l.release());
    expect(cache.has('p:m')).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('evicts least recently used past max and unloads each exactly once', async () => {
    const cache = new ModelCache({ max: 2 });
    const o = owner();
    for (const id of ['a', 'b', 'c', 'a', 'd', 'e']) {
      const lease = await cache.acquire(`p:${id}`, o, async () => id);
      lease.release();
    }
    await cache.settle();
    expect(cache.size).toBe(2);
    expect(cache.keys()).toEqual(['p:e', 'p:d']);
    expect(cache.counters.evictions).toBe(cache.counters.unloads);
    expect(o.unloaded).toEqual(['a', 'b', 'c', 'a']);
    expect(cache.counters.loads - cache.size).toBe(o.unloaded.length);
  });

  it('bounds by bytes and refuses a model larger than the whole budget', async () => {
    const cache = new ModelCache({ max: 10, maxMemoryBytes: 100 });
    const o = owner();
    (await cache.acquire('p:a', o, async () => 'a', 60)).release();
    (await cache.acquire('p:b', o, async () => 'b', 60)).release();
    await cache.settle();
    expect(cache.keys()).toEqual(['p:b']);
    expect(cache.calculatedBytes).toBeLessThanOrEqual(100);
    expect(o.unloaded).toEqual(['a']);
    await expect(cache.acquire('p:huge', o, async () => 'huge', 101)).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('does not unload a model while a call still holds it', async () => {
    const cache = new ModelCache({ max: 1 });
    const o = owner();
    const held = await cache.acquire('p:a', o, async () => 'a');
    (await cache.acquire('p:b', o, async () => 'b')).release();
    await cache.settle();
    expect(cache.has('p:a')).toBe(false);
    expect(o.unloaded).toEqual([]);
    held.release();
    held.release();
    await cache.settle();
    expect(o.unloaded).toEqual(['a']);
  });

  it('evict() and clear() unload and report', async () => {
    const cache = new ModelCache({ max: 3 });
    const o = owner();
    for (const id of ['a', 'b', 'c']) (await cache.acquire(`p:${id}`, o, async () => id)).release();
    expect(await cache.evict('p:b')).toBe(true);
    expect(await cache.evict('p:b')).toBe(false);
    expect(o.unloaded).toEqual(['b']);
    await cache.clear();
    expect(cache.size).toBe(0);
    expect(o.unloaded.sort()).toEqual(['a', 'b', 'c']);
  });

  it('unloads after the TTL without being read', async () => {
    const cache = new ModelCache({ max: 3, ttlMs: 30 });
    const o = owner();
    (await cache.acquire('p:a', o, async () => 'a')).release();
    await new Promise((r) => setTimeout(r, 120));
    await cache.settle();
    expect(cache.has('p:a')).toBe(false);
    expect(o.unloaded).toEqual(['a']);
  });

  it('a failed load is not cached and can be retried', async () => {
    const cache = new ModelCache({ max: 3 });
    const o = owner();
    await expect(cache.acquire('p:a', o, async () => { throw new Error('disk'); })).rejects.toThrow('disk');
    expect(cache.has('p:a')).toBe(false);
    const lease = await cache.acquire('p:a', o, async () => 'a');
    expect(lease.model).toBe('a');
  });

  it('keeps unload failures away from callers', async () => {
    const failures: string[] = [];
    const cache = new ModelCache({ max: 1, onUnloadError: (_e, id) => failures.push(id) });
    const o: ModelOwner = { provider: 't', releaseModel: async () => { throw new Error('boom'); } };
    (await cache.acquire('p:a', o, async () => 'a')).release();
    (await cache.acquire('p:b', o, async () => 'b')).release();
    await cache.settle();
    expect(failures).toEqual(['p:a']);
  });

  it('rejects a nonsensical bound', () => {
    expect(() => new ModelCache({ max: 0 })).toThrow(InvalidRequestError);
  });
});

describe('ModelCache leases under churn', () => {
  it('never hands out a model that was unloaded between its load and the lease', async () => {
    const cache = new ModelCache({ max: 1 });
    const o = owner();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let loads = 0;
    // Two loads that finish in the same turn: the second pushes the first out before its caller holds it.
    const load = (id: string) => async () => {
      await gate;
      loads++;
      return { id, load: loads };
    };
    const pending = Promise.all([cache.acquire('p:a', o, load('a')), cache.acquire('p:b', o, load('b'))]);
    open();
    const leases = await pending;
    for (const lease of leases) expect(o.unloaded).not.toContain(lease.model);
    expect(leases.map((lease) => (lease.model as { id: string }).id)).toEqual(['a', 'b']);
    leases.forEach((lease) => lease.release());
    await cache.settle();
    expect(cache.counters.unloads).toBe(cache.counters.evictions);
    expect(cache.size).toBe(1);
  });
});

describe('ModelCache pools: hosted handles never evict local models', () => {
  it('keeps each pool within max on its own, and reports both (keys by pool on request)', async () => {
    const cache = new ModelCache({ max: 2 });
    const o = owner();
    (await cache.acquire('llamacpp:weights', o, async () => 'weights', 10)).release();
    for (let i = 0; i < 20; i++) (await cache.acquire(`openai:m${i}`, o, async () => `m${i}`, undefined, undefined, 'hosted')).release();
    await cache.settle();
    expect(cache.keys('local')).toEqual(['llamacpp:weights']);
    expect(cache.keys('hosted')).toEqual(['openai:m19', 'openai:m18']);
    expect(cache.keys()).toEqual(['llamacpp:weights', 'openai:m19', 'openai:m18']);
    expect(cache.size).toBe(3);
    expect(cache.has('llamacpp:weights') && cache.has('openai:m19')).toBe(true);
    expect(o.unloaded).not.toContain('weights');
    expect(cache.counters).toEqual({ loads: 21, evictions: 18, unloads: 18 });
  });

  it('counts bytes only for local models, and evict/clear reach both pools', async () => {
    const cache = new ModelCache({ max: 4, maxMemoryBytes: 100 });
    const o = owner();
    (await cache.acquire('p:local', o, async () => 'local', 80)).release();
    // A hosted handle's memoryBytes is its server's, not ours: it neither counts nor is refused.
    (await cache.acquire('p:hosted', o, async () => 'hosted', 5_000, undefined, 'hosted')).release();
    expect(cache.calculatedBytes).toBe(80);
    expect(await cache.evict('p:hosted')).toBe(true);
    expect(o.unloaded).toEqual(['hosted']);
    (await cache.acquire('p:other', o, async () => 'other', undefined, undefined, 'hosted')).release();
    await cache.clear();
    expect(cache.size).toBe(0);
    expect(o.unloaded.sort()).toEqual(['hosted', 'local', 'other']);
  });
});
