import { afterEach, describe, expect, it } from '@jest/globals';
import { MemorySessionStore } from '../../../src/sessions/memory-session-store.js';
import type { Session } from '../../../src/sessions/session-store.js';

function session(id: string, ttlMs: number, extra: Partial<Session> = {}): Session {
  const now = Date.now();
  return { id, bot: 'support', metadata: { n: 1 }, createdAt: now, expiresAt: now + ttlMs, ttlMs, ...extra };
}

const until = async (check: () => boolean, withinMs = 2_000) => {
  const end = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('MemorySessionStore', () => {
  const stores: MemorySessionStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });
  const make = (max: number, onExpire?: (s: Session) => void) => {
    const store = new MemorySessionStore({ max, onExpire });
    stores.push(store);
    return store;
  };

  it('stores copies: mutating what was set or got changes nothing stored', async () => {
    const store = make(10);
    const original = session('a', 60_000);
    await store.set(original);
    original.metadata.n = 2;
    const got = await store.get('a');
    expect(got?.metadata).toEqual({ n: 1 });
    got!.metadata.n = 3;
    expect((await store.get('a'))?.metadata).toEqual({ n: 1 });
  });

  it('expires an unread entry on its own and reports it once', async () => {
    const expired: string[] = [];
    const store = make(10, (s) => expired.push(s.id));
    await store.set(session('short', 20));
    await store.set(session('long', 60_000));
    await until(() => expired.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(expired).toEqual(['short']);
    expect(await store.get('short')).toBeUndefined();
    expect(await store.get('long')).toBeDefined();
  });

  it('evicts the least recently used beyond max and reports it; delete is not reported', async () => {
    const expired: string[] = [];
    const store = make(2, (s) => expired.push(s.id));
    await store.set(session('one', 60_000));
    await store.set(session('two', 60_000));
    await store.get('one');
    await store.set(session('three', 60_000));
    expect(expired).toEqual(['two']);
    expect(await store.delete('one')).toBe(true);
    expect(await store.delete('one')).toBe(false);
    expect(expired).toEqual(['two']);
    expect(store.size).toBe(1);
  });

  it('replacing an entry is neither an expiry nor an eviction, and takes the new TTL', async () => {
    const expired: string[] = [];
    const store = make(5, (s) => expired.push(s.id));
    await store.set(session('a', 30));
    await store.set(session('a', 60_000));
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(expired).toEqual([]);
    expect(await store.get('a')).toBeDefined();
  });

  it('close() drops everything without expiry notices and refuses new sessions', async () => {
    const expired: string[] = [];
    const store = make(5, (s) => expired.push(s.id));
    await store.set(session('a', 20));
    await store.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(expired).toEqual([]);
    await expect(store.set(session('b', 1000))).rejects.toThrow(/closed/);
  });

  it('refuses a max that is not a whole number >= 1', () => {
    expect(() => new MemorySessionStore({ max: 0 })).toThrow(/sessions.max/);
    expect(() => new MemorySessionStore({ max: 1.5 })).toThrow(/sessions.max/);
  });

  it('a throwing listener does not stop the others', async () => {
    const seen: string[] = [];
    const store = make(1, () => {
      throw new Error('listener failed');
    });
    store.onExpire((s) => seen.push(s.id));
    await store.set(session('a', 60_000));
    await store.set(session('b', 60_000));
    expect(seen).toEqual(['a']);
  });
});
