/**
 * The output items `/v1/responses` wrote, kept a while so a later request may send them back as
 * `{ "type": "item_reference", "id" }` (what the AI SDK's default OpenAI provider does with text
 * written before a tool call and with reasoning, docs/gateway.md "Item references"). Only `message`
 * and `reasoning` items are kept: clients send function calls inline (the AI SDK references a call
 * only for OpenAI-hosted tools, which the gateway does not carry). Each item is kept whole, as the
 * answer carried it (a reasoning item's `encrypted_content` holds its blocks and their signatures),
 * so a reference converts exactly as the item sent inline would.
 *
 * Keyed by (tenant, item id): another tenant's id is simply not found. In process: an LRU bounded by
 * count (`server.responseItems.max`), by the sum of the items' JSON lengths (`maxBytes`) and by age
 * (`ttlMs`, counted from the write). With `redis.url` every item is also written to Redis under
 * `<prefix>ri:<tenant>:<id>` with the same TTL, so gateways behind one load balancer resolve each
 * other's items; Redis bounds them by that TTL (and its own maxmemory policy). The write goes out
 * before the answer's last event does, on one connection, so the client's next request finds it.
 *
 * Items are the caller's answers: they never reach logs, spans or metrics (a failed Redis write logs
 * the failure only).
 */
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { SwitchboardConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { SecretRegistry } from '../core/secrets.js';
import { closeRedisClient, createRedisClient, runRedis, waitForRedis } from '../stores/redis/redis-client.js';
import { GatewayHttpError } from './errors.js';

/** An output item as the answer carried it. */
export type OutputItem = Record<string, unknown>;

/** Config `server.responseItems`. */
export interface ResponseItemsLimits {
  /** Most items kept in process. */
  max: number;
  /** Most characters of item JSON kept in process. */
  maxBytes: number;
  /** How long an item stays resolvable after it was written, in ms. */
  ttlMs: number;
}

/** Options of a ResponseItems store. */
export interface ResponseItemsOptions extends ResponseItemsLimits {
  /** Monotonic clock in ms the TTL is measured on; default `performance.now`. Tests pass their own. */
  now?: () => number;
  /** Share the items through Redis (the store closes this client). */
  redis?: { client: Redis; keyPrefix: string };
  /** Where a failed Redis write is reported (never with an item). */
  logger?: Logger;
}

/** The kinds of item kept: what clients send back as references. */
const KEPT_TYPES = new Set(['message', 'reasoning']);
/** How long start-up waits for Redis before going on (writes and misses fail until it answers). */
const REDIS_STARTUP_WAIT_MS = 5_000;

/** Where an item lives: ids hold no ":" (responses-references.ts checks them), so the last one splits. */
const keyOf = (tenant: string | undefined, id: string): string => `${tenant ?? ''}:${id}`;

/** A stored value back to its item; anything else (another application's key) is not an item we wrote. */
function parseItem(json: string | null | undefined, id: string): OutputItem | undefined {
  if (typeof json !== 'string') return undefined;
  try {
    const item = JSON.parse(json) as unknown;
    if (typeof item === 'object' && item !== null && (item as OutputItem).id === id && KEPT_TYPES.has((item as OutputItem).type as string)) return item as OutputItem;
  } catch {
    // Not JSON: not ours.
  }
  return undefined;
}

/** The output items of this gateway's answers, per tenant, bounded (see the file comment). */
export class ResponseItems {
  private readonly lru: LRUCache<string, string>;
  private readonly redis: { client: Redis; prefix: string } | undefined;
  private readonly ttlMs: number;
  private readonly logger: Logger | undefined;
  /** True after a failed Redis write, until one succeeds: one warning per outage. */
  private writeFailing = false;

  constructor(options: ResponseItemsOptions) {
    this.ttlMs = options.ttlMs;
    this.logger = options.logger;
    this.lru = new LRUCache<string, string>({
      max: options.max,
      maxSize: options.maxBytes,
      sizeCalculation: (json) => json.length,
      ttl: options.ttlMs,
      // An injected clock is read on every check (lru-cache otherwise caches `now` for a millisecond).
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
    });
    if (options.redis) this.redis = { client: options.redis.client, prefix: `${options.redis.keyPrefix}ri:` };
  }

  /** Items held in process now (expired ones count until they are next touched or evicted). */
  get size(): number {
    return this.lru.size;
  }

  /** Keep the message and reasoning items of one finished answer for `tenant`. */
  keep(tenant: string | undefined, output: readonly OutputItem[]): void {
    const writes: Array<[string, string]> = [];
    for (const item of output) {
      if (!KEPT_TYPES.has(item.type as string) || typeof item.id !== 'string') continue;
      const key = keyOf(tenant, item.id);
      const json = JSON.stringify(item);
      this.lru.set(key, json);
      writes.push([key, json]);
    }
    if (this.redis && writes.length > 0) this.share(writes);
  }

  /**
   * The items of these ids `tenant` may read (absent ids are not held, or no longer). A Redis that
   * cannot be read is a 503 the client may send again.
   */
  async find(tenant: string | undefined, ids: readonly string[]): Promise<Map<string, OutputItem>> {
    const found = new Map<string, OutputItem>();
    const missing: string[] = [];
    for (const id of ids) {
      const item = parseItem(this.lru.get(keyOf(tenant, id)), id);
      if (item) found.set(id, item);
      else missing.push(id);
    }
    if (!this.redis || missing.length === 0) return found;
    const { client, prefix } = this.redis;
    let values: Array<string | null>;
    try {
      values = await runRedis(client, 'Reading response items from Redis', () => client.mget(missing.map((id) => prefix + keyOf(tenant, id))));
    } catch {
      throw new GatewayHttpError(503, 'The shared store of response items (Redis) could not be read; send the request again, or send the items inline instead of item references', 'api_error', 'store_unavailable');
    }
    missing.forEach((id, index) => {
      const item = parseItem(values[index], id);
      if (item) found.set(id, item);
    });
    return found;
  }

  /** Forget every item held in process and close the Redis client (items in Redis stay until their TTL). */
  async close(): Promise<void> {
    this.lru.clear();
    if (this.redis) await closeRedisClient(this.redis.client);
  }

  /** Write to Redis without holding the answer: commands on one connection run in order, so this instance's next read sees it. */
  private share(writes: ReadonlyArray<[string, string]>): void {
    const { client, prefix } = this.redis!;
    const work = () => {
      const pipeline = client.multi();
      for (const [key, json] of writes) pipeline.set(prefix + key, json, 'PX', this.ttlMs);
      return pipeline.exec();
    };
    runRedis(client, 'Writing response items to Redis', work).then(
      () => {
        this.writeFailing = false;
      },
      (error: unknown) => {
        if (this.writeFailing) return;
        this.writeFailing = true;
        // The message names the operation and Redis's reason, never a command's arguments.
        this.logger?.warn('Response items could not be written to Redis: references to them resolve on this instance only', { error: error instanceof Error ? error.message : String(error) });
      },
    );
  }
}

/** The store for a gateway: in process, and shared through Redis when `redis.url` is set. */
export async function openResponseItems(config: Pick<SwitchboardConfig, 'server' | 'redis'>, deps: { logger: Logger; secrets: SecretRegistry }): Promise<ResponseItems> {
  const options: ResponseItemsOptions = { ...config.server.responseItems, logger: deps.logger };
  if (!config.redis.url) return new ResponseItems(options);
  const client = createRedisClient({ url: config.redis.url, keyPrefix: config.redis.keyPrefix }, { logger: deps.logger, secrets: deps.secrets, commandTimeoutMs: config.redis.commandTimeoutMs, connectionName: 'switchboard-gateway' });
  try {
    await waitForRedis(client, REDIS_STARTUP_WAIT_MS);
  } catch (error) {
    deps.logger.warn('Redis is not reachable yet; response items are shared once it is', { error: error instanceof Error ? error.message : String(error) });
  }
  return new ResponseItems({ ...options, redis: { client, keyPrefix: config.redis.keyPrefix } });
}
