/**
 * The response cache in Redis, so an answer cached by one instance is a hit on every other. Each
 * answer is JSON under `<prefix>rc:<key>` (the key is already a sha256 of the request, so it holds
 * nothing secret) and expires after its TTL. Failures reject; the pipeline's ResponseCache logs them
 * and calls the provider.
 */
import type { Redis } from 'ioredis';
import { ConfigError } from '../../core/errors.js';
import type { CachedAnswer, ResponseCacheStore } from '../../cache/response-cache.js';
import { assertOpen, DEFAULT_KEY_PREFIX, getJson, RedisStoreError, runRedis, type RedisStoreOptions } from './redis-client.js';

/** Options of the Redis response store. */
export interface RedisResponseStoreOptions extends RedisStoreOptions {
  /**
   * TTL used when `set` is given none (config `responseCache.ttlMs: 0`, "until evicted"): Redis does
   * not evict by itself unless told to, so every entry gets a lifetime. Default 24 h.
   */
  defaultTtlMs?: number;
}

/** Default lifetime of an entry stored without a TTL. */
export const DEFAULT_REDIS_RESPONSE_TTL_MS = 86_400_000;

function isAnswer(value: unknown): value is CachedAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  return typeof a.text === 'string' && typeof a.model === 'string' && typeof a.usage === 'object' && a.usage !== null;
}

/** ResponseCacheStore over a shared Redis; bounded by TTLs, holds nothing in process. */
export class RedisResponseStore implements ResponseCacheStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly defaultTtlMs: number;
  private closed = false;

  constructor(options: RedisResponseStoreOptions) {
    this.client = options.client;
    this.prefix = `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}rc:`;
    this.defaultTtlMs = options.defaultTtlMs ?? DEFAULT_REDIS_RESPONSE_TTL_MS;
    if (!Number.isInteger(this.defaultTtlMs) || this.defaultTtlMs <= 0) {
      throw new ConfigError([{ key: 'defaultTtlMs', message: `must be a whole number of ms > 0 (got ${String(options.defaultTtlMs)})` }]);
    }
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    assertOpen(this.closed, 'response cache');
    const parsed = await getJson(this.client, this.prefix + key, 'Reading the response cache in Redis');
    if (parsed === undefined) return undefined;
    if (!isAnswer(parsed)) throw new RedisStoreError(`Redis key "${this.prefix}${key}" does not hold a cached answer; is another application using redis.keyPrefix?`);
    return parsed;
  }

  async set(key: string, answer: CachedAnswer, ttlMs: number): Promise<void> {
    assertOpen(this.closed, 'response cache');
    const ttl = Number.isFinite(ttlMs) && ttlMs > 0 ? Math.ceil(ttlMs) : this.defaultTtlMs;
    const json = JSON.stringify(answer);
    await runRedis(this.client, 'Writing the response cache in Redis', () => this.client.set(this.prefix + key, json, 'PX', ttl));
  }

  /** Stop using the client (entries stay for the other instances until their TTL). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
