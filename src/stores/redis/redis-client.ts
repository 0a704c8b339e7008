/**
 * One ioredis client for the shared stores, configured to fail fast: with the offline queue off, a
 * command sent while Redis is unreachable rejects at once instead of waiting for a reconnect, and
 * `commandTimeout` bounds a command whose connection died under it. ioredis keeps reconnecting in
 * the background, so the stores work again as soon as Redis is back.
 *
 * The URL may hold a password: it is registered as a secret, never logged, and never part of an error.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { ConfigError, LLMError, type LLMErrorOptions } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { processSecrets, type SecretRegistry } from '../../core/secrets.js';

/** Config `redis` (the url is required here; the config layer checks it is set when a store needs it). */
export interface RedisConnectionConfig {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://` for TLS. */
  url: string;
  /** Prefix of every key; default `switchboard:`. */
  keyPrefix?: string;
}

/** Tuning of the client; the defaults suit a Redis on the same network. */
export interface RedisClientOptions {
  /** Longest wait for a TCP connection (and its handshake); default 2000 ms. */
  connectTimeoutMs?: number;
  /** Where the URL's credentials are registered (the switchboard's registry); default the process-wide one. */
  secrets?: SecretRegistry;
  /** Longest wait for any one command's reply; default 1000 ms. */
  commandTimeoutMs?: number;
  /** Reconnect attempts a command sent before a connection loss may wait through; default 1. */
  maxRetriesPerRequest?: number;
  /** Longest pause between reconnect attempts; default 2000 ms. */
  maxReconnectDelayMs?: number;
  /** Where connection loss and recovery are reported (once per outage, never with the URL). */
  logger?: Logger;
  /** Shown in Redis `CLIENT LIST`; default `switchboard`. */
  connectionName?: string;
}

/** The default key prefix (config `redis.keyPrefix`). */
export const DEFAULT_KEY_PREFIX = 'switchboard:';

/** Clients being closed on purpose (their 'close' is no outage), with the closing in progress. */
const closing = new WeakMap<Redis, Promise<void>>();

/** A shared store could not do its work (Redis down, timed out, or holding something unexpected). */
export class RedisStoreError extends LLMError {
  /** True for a RedisStoreError of any copy of this package. */
  static override isInstance(value: unknown): value is RedisStoreError {
    return LLMError.isInstance(value) && value.code === 'store_unavailable';
  }
  declare readonly code: 'store_unavailable';
  constructor(message: string, options: LLMErrorOptions = {}) {
    super('store_unavailable', message, { retryable: true, ...options });
  }
}

function positive(value: number | undefined, fallback: number, key: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError([{ key, message: `must be a positive number of ms (got ${String(value)})` }]);
  return value;
}

/** Check the URL and register its credentials as secrets; the URL itself never appears in the error. */
function checkUrl(raw: string, secrets: SecretRegistry): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError([{ key: 'redis.url', message: 'must be a redis:// or rediss:// URL with a host, e.g. redis://:password@localhost:6379/0' }]);
  }
  for (const part of [url.username, url.password]) {
    secrets.register(part);
    try {
      secrets.register(decodeURIComponent(part));
    } catch {
      // A malformed escape: the raw form is registered already.
    }
  }
  return url;
}

/**
 * A client for `config.url`. It connects in the background; commands sent before it is ready fail
 * at once (see `waitForRedis`). Close it with `closeRedisClient` after closing the stores using it.
 */
export function createRedisClient(config: RedisConnectionConfig, options: RedisClientOptions = {}): Redis {
  const secrets = options.secrets ?? processSecrets;
  const url = checkUrl(config.url, secrets);
  const maxRetries = options.maxRetriesPerRequest ?? 1;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new ConfigError([{ key: 'maxRetriesPerRequest', message: `must be a whole number >= 0 (got ${String(maxRetries)})` }]);
  }
  const maxDelay = positive(options.maxReconnectDelayMs, 2000, 'maxReconnectDelayMs');
  const client = new Redis(config.url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: maxRetries,
    connectTimeout: positive(options.connectTimeoutMs, 2000, 'connectTimeoutMs'),
    commandTimeout: positive(options.commandTimeoutMs, 1000, 'commandTimeoutMs'),
    retryStrategy: (times) => Math.min(100 * times, maxDelay),
    // RESP2 works on every Redis version; nothing here needs RESP3. CLIENT SETINFO needs Redis 7.2.
    protocol: 2,
    disableClientInfo: true,
    connectionName: options.connectionName ?? 'switchboard',
    // No ioredis keyPrefix: the stores prefix keys themselves, so Lua scripts see exactly their keys.
  });
  const where = `${url.hostname}:${url.port || '6379'}`;
  let down = false;
  const lost = (reason: string) => {
    if (down || closing.has(client)) return;
    down = true;
    options.logger?.warn('Redis unreachable; shared stores fail until it answers again', { redis: where, reason: secrets.scrub(reason) });
  };
  // Without an 'error' listener ioredis prints every failed reconnect; report each outage once.
  client.on('error', (error: unknown) => lost(describe(error)));
  client.on('close', () => lost('connection closed'));
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger?.info('Redis connection restored', { redis: where });
  });
  return client;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolve once the client is connected, or reject with RedisStoreError after `timeoutMs`. */
export function waitForRedis(client: Redis, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (client.status === 'end') return Promise.reject(new RedisStoreError('The Redis client is closed'));
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => done();
    const onEnd = () => done(new RedisStoreError('The Redis client was closed before it connected'));
    const timer = setTimeout(
      () => done(new RedisStoreError(`Redis did not answer within ${timeoutMs} ms; check that it runs at the host in redis.url and that the password is right`)),
      timeoutMs,
    );
    client.on('ready', onReady);
    client.on('end', onEnd);
  });
}

/** Close politely (QUIT), or drop the connection when Redis is unreachable. Idempotent. */
export function closeRedisClient(client: Redis): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  let closed = closing.get(client);
  if (!closed) {
    closed = quitOrDrop(client);
    closing.set(client, closed);
  }
  return closed;
}

async function quitOrDrop(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Redis did not answer QUIT (hung, or gone meanwhile): drop the connection instead.
    }
  }
  drop(client);
}

/**
 * Disconnect without waiting for Redis. ioredis ends the socket and arms a 2 s timer that only the
 * socket's 'close' clears: a socket already closed (while reconnecting) never closes again, and one
 * whose peer hangs closes only when that timer fires; either way the timer held the process for 2 s
 * after close. So the socket is destroyed now, or its 'close' replayed when it is gone already.
 */
function drop(client: Redis): void {
  const stream = client.stream as Redis['stream'] | undefined;
  const dead = stream?.destroyed === true;
  client.disconnect();
  if (dead) stream.emit('close', false);
  else stream?.destroy();
}

/**
 * Run one store operation, turning any failure into a RedisStoreError that names the operation.
 * ioredis errors carry the command's arguments (session JSON, AUTH): only a scrubbed message is kept.
 */
export async function runRedis<T>(client: Redis, operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (RedisStoreError.isInstance(error)) throw error;
    const message = describe(error);
    // Between the socket closing and ioredis noticing, the status still says ready but writes are refused.
    const reason = client.status !== 'ready' ? `Redis is not connected (${client.status})` : message.includes('enableOfflineQueue') ? 'Redis is not connected (connection lost)' : message;
    throw new RedisStoreError(`${operation} failed: ${reason}. Check that Redis at redis.url is running and reachable.`, { cause: error });
  }
}

/** A Lua script run by SHA, loaded again when Redis lost it (restart, SCRIPT FLUSH). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** EVALSHA, falling back to EVAL (which caches the script) on NOSCRIPT. */
  async run(client: Redis, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!describe(error).startsWith('NOSCRIPT')) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** What every Redis store takes. The client is shared and outlives the stores: they never close it. */
export interface RedisStoreOptions {
  client: Redis;
  /** Prefix of every key (config `redis.keyPrefix`); default `switchboard:`. */
  keyPrefix?: string;
}

/** Reject calls on a closed store with a message that says which store. */
export function assertOpen(closed: boolean, store: string): void {
  if (closed) throw new RedisStoreError(`The Redis ${store} store is closed`);
}

/** What `getJson` returns for a value that is not JSON (the caller says which shape it expected). */
export const NOT_JSON: unique symbol = Symbol('not-json');

/** GET `key` and parse it: undefined when absent, NOT_JSON when it does not parse. */
export async function getJson(client: Redis, key: string, operation: string): Promise<unknown> {
  const raw = await runRedis(client, operation, () => client.get(key));
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return NOT_JSON;
  }
}
