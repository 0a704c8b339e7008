import { afterEach, describe, expect, it } from '@jest/globals';
import { InvalidRequestError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/logger.js';
import { MemorySessionStore } from '../../../src/sessions/memory-session-store.js';
import { MAX_METADATA_BYTES, SessionManager, type SessionManagerOptions } from '../../../src/sessions/session-manager.js';

const BOTS = new Set(['support', 'sales']);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (check: () => boolean, withinMs = 2_000) => {
  const end = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await wait(5);
  }
};

describe('SessionManager', () => {
  const managers: SessionManager[] = [];
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((manager) => manager.close()));
  });

  function make(options: Partial<SessionManagerOptions> & { max?: number } = {}) {
    const ended: string[] = [];
    const manager = new SessionManager({
      store: options.store ?? new MemorySessionStore({ max: options.max ?? 100, now: options.now }),
      ttlMs: options.ttlMs ?? 60_000,
      hasBot: (name) => BOTS.has(name),
      onEnded: options.onEnded ?? ((id) => ended.push(id)),
      now: options.now,
      logger: options.logger,
    });
    managers.push(manager);
    return { manager, ended };
  }

  it('starts a session with a random id, its fields and a copy of its metadata', async () => {
    const { manager } = make({ ttlMs: 5_000 });
    const metadata = { channel: 'web', tags: ['a', 'b'], nested: { ok: true, n: null } };
    const session = await manager.start({ bot: 'support', userId: 'u1', tenantId: 't1', metadata });
    expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(session).toMatchObject({ bot: 'support', userId: 'u1', tenantId: 't1', metadata, ttlMs: 5_000 });
    expect(session.expiresAt - session.createdAt).toBe(5_000);
    metadata.channel = 'changed';
    expect((await manager.get(session.id))?.metadata.channel).toBe('web');
    const other = await manager.start({ bot: 'support' });
    expect(other.id).not.toBe(session.id);
    expect(other.metadata).toEqual({});
    expect('userId' in other).toBe(false);
  });

  it('refuses an unknown bot, saying how to define one', async () => {
    const { manager } = make();
    const error = await manager.start({ bot: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(/unknown bot "nope".*sb\.bots\.define/);
  });

  it.each([
    ['a non-string userId', { userId: 42 }, /userId/],
    ['an empty tenantId', { tenantId: '' }, /tenantId/],
    ['array metadata', { metadata: [1, 2] }, /plain object/],
    ['a Date in metadata', { metadata: { when: new Date() } }, /metadata\.when/],
    ['a function in metadata', { metadata: { f: () => 1 } }, /metadata\.f/],
    ['NaN in metadata', { metadata: { list: [1, Number.NaN] } }, /metadata\.list\[1\].*finite/],
    ['a __proto__ key', { metadata: JSON.parse('{"a":{"__proto__":{"x":1}}}') }, /__proto__/],
    ['oversized metadata', { metadata: { blob: 'x'.repeat(MAX_METADATA_BYTES) } }, /bytes as JSON/],
    ['a zero ttl', { ttlMs: 0 }, /ttlMs/],
    ['an infinite ttl', { ttlMs: Number.POSITIVE_INFINITY }, /ttlMs/],
    ['a ttl beyond timers', { ttlMs: 2 ** 31 }, /about 24 days/],
    ['a malformed id', { id: 'has space' }, /session id/],
  ])('refuses %s with an InvalidRequestError', async (_label, fields, message) => {
    const { manager } = make();
    const error = await manager.start({ bot: 'support', ...(fields as object) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a bad default ttl at construction', () => {
    expect(() => make({ ttlMs: -5 })).toThrow(/sessions\.ttlMs/);
  });

  it('accepts a chosen id once', async () => {
    const { manager } = make();
    const session = await manager.start({ bot: 'sales', id: 'conv-42' });
    expect(session.id).toBe('conv-42');
    await expect(manager.start({ bot: 'sales', id: 'conv-42' })).rejects.toThrow(/already in use/);
  });

  it('an idle session expires by itself and onEnded fires exactly once', async () => {
    const { manager, ended } = make();
    const session = await manager.start({ bot: 'support', ttlMs: 30 });
    const kept = await manager.start({ bot: 'support' });
    await until(() => ended.length > 0);
    expect(ended).toEqual([session.id]);
    expect(await manager.get(session.id)).toBeUndefined();
    expect(await manager.end(session.id)).toBe(false);
    await wait(30);
    expect(ended).toEqual([session.id]);
    expect(await manager.get(kept.id)).toBeDefined();
  });

  it('get() ends a session found past its expiry even if the store still holds it', async () => {
    let clock = 1_000_000;
    // The store's clock lags far behind, so it still holds the entry when the manager judges it expired.
    const store = new MemorySessionStore({ max: 10, now: () => 0 });
    const { manager, ended } = make({ store, now: () => clock, ttlMs: 1_000 });
    const session = await manager.start({ bot: 'support' });
    clock += 999;
    expect(await manager.get(session.id)).toBeDefined();
    clock += 1;
    expect(await manager.get(session.id)).toBeUndefined();
    expect(await manager.get(session.id)).toBeUndefined();
    expect(ended).toEqual([session.id]);
  });

  it('touch() slides expiry forward by the session ttl', async () => {
    let clock = 0;
    const { manager, ended } = make({ now: () => clock, ttlMs: 1_000 });
    const session = await manager.start({ bot: 'support', ttlMs: 500 });
    clock = 400;
    const touched = await manager.touch(session.id);
    expect(touched?.expiresAt).toBe(900);
    expect(touched?.createdAt).toBe(0);
    clock = 800;
    expect(await manager.get(session.id)).toBeDefined();
    clock = 900;
    expect(await manager.touch(session.id)).toBeUndefined();
    expect(ended).toEqual([session.id]);
  });

  it('touch() keeps a used session alive on real timers past its first expiry', async () => {
    const { manager, ended } = make();
    // Touches every ~50 ms for longer than the 300 ms window: a wide margin on a busy machine.
    const session = await manager.start({ bot: 'support', ttlMs: 300 });
    for (let i = 0; i < 8; i++) {
      await wait(50);
      expect(await manager.touch(session.id)).toBeDefined();
    }
    expect(ended).toEqual([]);
    await until(() => ended.length === 1);
    expect(ended).toEqual([session.id]);
  });

  it('onStarted is told of each new session, before it is stored, and not of a refused one', async () => {
    const started: Array<[string, boolean]> = [];
    const store = new MemorySessionStore({ max: 10 });
    const manager = new SessionManager({ store, ttlMs: 60_000, hasBot: (name) => BOTS.has(name), onStarted: (id) => started.push([id, store.size > 0]) });
    managers.push(manager);
    const session = await manager.start({ bot: 'support', id: 'chosen-1' });
    await expect(manager.start({ bot: 'support', id: 'chosen-1' })).rejects.toBeInstanceOf(InvalidRequestError);
    expect(started).toEqual([[session.id, false]]);
  });

  it('end() fires onEnded once and the session is gone', async () => {
    const { manager, ended } = make();
    const session = await manager.start({ bot: 'support' });
    expect(await manager.end(session.id)).toBe(true);
    expect(await manager.end(session.id)).toBe(false);
    expect(await manager.get(session.id)).toBeUndefined();
    expect(ended).toEqual([session.id]);
  });

  it('a session evicted from a full store is ended', async () => {
    const { manager, ended } = make({ max: 2 });
    const first = await manager.start({ bot: 'support' });
    const second = await manager.start({ bot: 'support' });
    await manager.get(first.id);
    const third = await manager.start({ bot: 'sales' });
    expect(ended).toEqual([second.id]);
    expect(await manager.get(second.id)).toBeUndefined();
    expect(await manager.get(first.id)).toBeDefined();
    expect(await manager.get(third.id)).toBeDefined();
    expect(ended).toEqual([second.id]);
  });

  it('a throwing onEnded is logged, not thrown', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) };
    const { manager } = make({
      logger,
      onEnded: () => {
        throw new Error('listener broke');
      },
    });
    const session = await manager.start({ bot: 'support' });
    await expect(manager.end(session.id)).resolves.toBe(true);
    expect(warnings).toEqual(['session end listener failed']);
  });

  it('rejects a malformed id in get/end instead of querying the store', async () => {
    const { manager } = make();
    await expect(manager.get('x'.repeat(500))).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(manager.end(42 as unknown as string)).rejects.toBeInstanceOf(InvalidRequestError);
  });
});
