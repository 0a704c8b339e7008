/**
 * Sessions in Redis, so a conversation started through one instance continues through any other.
 * Each session is one JSON string under `<prefix>sess:<id>` that Redis expires at `expiresAt`
 * (PX = expiresAt - now, set again on every touch). Redis drops expired sessions silently, so this
 * store has no `onExpire`: the SessionManager treats a session it cannot find as ended.
 */
import type { Redis } from 'ioredis';
import type { Session, SessionStore } from '../../sessions/session-store.js';
import { assertOpen, DEFAULT_KEY_PREFIX, getJson, RedisStoreError, runRedis, type RedisStoreOptions } from './redis-client.js';

/** Options of the Redis session store. */
export interface RedisSessionStoreOptions extends RedisStoreOptions {
  /** Clock for turning `expiresAt` into a TTL; must agree with the SessionManager's. Default Date.now. */
  now?: () => number;
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return typeof s.id === 'string' && typeof s.bot === 'string' && typeof s.expiresAt === 'number' && typeof s.ttlMs === 'number';
}

/** SessionStore over a shared Redis; bounded by Redis TTLs, holds nothing in process. */
export class RedisSessionStore implements SessionStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly now: () => number;
  private closed = false;

  constructor(options: RedisSessionStoreOptions) {
    this.client = options.client;
    this.prefix = `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}sess:`;
    this.now = options.now ?? Date.now;
  }

  async get(id: string): Promise<Session | undefined> {
    assertOpen(this.closed, 'session');
    const parsed = await getJson(this.client, this.prefix + id, 'Reading a session from Redis');
    if (parsed === undefined) return undefined;
    // Something else wrote under our prefix: say so rather than hand the caller a broken session.
    if (!isSession(parsed) || parsed.id !== id) {
      throw new RedisStoreError(`Redis key "${this.prefix}${id}" does not hold a session; is another application using redis.keyPrefix?`);
    }
    return parsed;
  }

  async set(session: Session): Promise<void> {
    assertOpen(this.closed, 'session');
    const key = this.prefix + session.id;
    const ttl = Math.ceil(session.expiresAt - this.now());
    if (!(ttl > 0)) {
      // Already past its expiry: storing it would only resurrect it.
      await runRedis(this.client, 'Removing an expired session from Redis', () => this.client.del(key));
      return;
    }
    const json = JSON.stringify(session);
    await runRedis(this.client, 'Saving a session to Redis', () => this.client.set(key, json, 'PX', ttl));
  }

  async delete(id: string): Promise<boolean> {
    assertOpen(this.closed, 'session');
    // DEL counts only keys that existed and had not expired: true for exactly one of racing removers.
    const removed = await runRedis(this.client, 'Deleting a session from Redis', () => this.client.del(this.prefix + id));
    return removed > 0;
  }

  /** Stop using the client (the sessions stay in Redis for the other instances). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
