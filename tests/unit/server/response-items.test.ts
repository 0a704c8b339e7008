/**
 * The gateway's store of `/v1/responses` output items (src/server/response-items.ts): only message and
 * reasoning items are kept, per tenant, bounded by count, by the sum of their JSON lengths and by age
 * (an injected clock); with Redis (a real redis-server) a second store on the same server finds what
 * the first wrote, under the configured key prefix, and ignores values that are not its items.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../../src/core/logger.js';
import { SecretRegistry } from '../../../src/core/secrets.js';
import { openResponseItems, ResponseItems } from '../../../src/server/response-items.js';
import { closeRedisClient, createRedisClient, waitForRedis } from '../../../src/stores/redis/redis-client.js';
import { REDIS_MISSING_MESSAGE, redisAvailable, startRedisServer, type RedisServer } from '../../helpers/redis-server.js';

const id = (prefix: string, n: number) => `${prefix}_${n.toString(16).padStart(24, '0')}`;
const message = (n: number, text = 'hello') => ({ type: 'message', id: id('msg', n), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] });

describe('ResponseItems in process', () => {
  it('keeps message and reasoning items, never function calls, and finds them per tenant', async () => {
    const items = new ResponseItems({ max: 10, maxBytes: 100_000, ttlMs: 60_000 });
    const reasoning = { type: 'reasoning', id: id('rs', 1), summary: [] };
    const call = { type: 'function_call', id: id('fc', 1), call_id: 'c', name: 'f', arguments: '{}', status: 'completed' };
    items.keep('acme', [reasoning, message(1), call]);
    expect(items.size).toBe(2);
    const found = await items.find('acme', [id('rs', 1), id('msg', 1), id('fc', 1)]);
    expect([...found.keys()]).toEqual([id('rs', 1), id('msg', 1)]);
    expect(found.get(id('msg', 1))).toEqual(message(1));
    expect((await items.find('globex', [id('msg', 1)])).size).toBe(0);
    expect((await items.find(undefined, [id('msg', 1)])).size).toBe(0);
    await items.close();
  });

  it('is bounded by count, by bytes and by age', async () => {
    // lru-cache reads a start time of 0 as "no TTL": the clock starts later.
    let now = 10_000;
    const items = new ResponseItems({ max: 3, maxBytes: 100_000, ttlMs: 1_000, now: () => now });
    for (let n = 0; n < 10; n++) items.keep('t', [message(n)]);
    expect(items.size).toBe(3);
    expect([...(await items.find('t', [id('msg', 0), id('msg', 9)])).keys()]).toEqual([id('msg', 9)]);
    now = 11_001;
    expect((await items.find('t', [id('msg', 9)])).size).toBe(0);

    const small = new ResponseItems({ max: 1_000, maxBytes: 2_000, ttlMs: 60_000 });
    for (let n = 0; n < 100; n++) small.keep('t', [message(n, 'x'.repeat(100))]);
    const bytes = JSON.stringify(message(0, 'x'.repeat(100))).length;
    expect(small.size).toBe(Math.floor(2_000 / bytes));
    // An item larger than the whole bound is not kept at all.
    small.keep('t', [message(500, 'y'.repeat(5_000))]);
    expect((await small.find('t', [id('msg', 500)])).size).toBe(0);
  });
});

const describeRedis = redisAvailable() ? describe : describe.skip;
if (!redisAvailable()) console.warn(REDIS_MISSING_MESSAGE);

describeRedis('ResponseItems shared through Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  }, 20_000);
  afterAll(async () => {
    await redis?.dispose();
  });

  const open = () =>
    openResponseItems(
      { server: { host: '127.0.0.1', port: 0, apiKeys: [], bodyLimitBytes: 1, responseItems: { max: 10, maxBytes: 100_000, ttlMs: 60_000 } }, redis: { url: redis.url, keyPrefix: 'ri-test:', commandTimeoutMs: 1_000 } },
      { logger: silentLogger, secrets: new SecretRegistry() },
    );

  it('finds on one instance what another wrote, per tenant, and ignores foreign values', async () => {
    const [writer, reader] = [await open(), await open()];
    writer.keep('acme', [message(7, 'shared')]);
    // The writer's own next command runs after its write: a find on it waits for the write.
    await writer.find('acme', [id('msg', 99)]);
    expect((await reader.find('acme', [id('msg', 7)])).get(id('msg', 7))).toEqual(message(7, 'shared'));
    expect((await reader.find('globex', [id('msg', 7)])).size).toBe(0);

    const raw = createRedisClient({ url: redis.url });
    await waitForRedis(raw);
    expect(await raw.pttl(`ri-test:ri:acme:${id('msg', 7)}`)).toBeGreaterThan(59_000);
    await raw.set(`ri-test:ri:acme:${id('msg', 8)}`, 'not json');
    await raw.set(`ri-test:ri:acme:${id('msg', 9)}`, JSON.stringify({ type: 'function_call', id: id('msg', 9) }));
    expect((await reader.find('acme', [id('msg', 8), id('msg', 9)])).size).toBe(0);
    await closeRedisClient(raw);
    await Promise.all([writer.close(), reader.close()]);
  });
});
