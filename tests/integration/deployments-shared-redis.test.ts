/**
 * Issue 17: with Redis, deployment cooldowns and per-deployment rpm are shared by every instance. Two
 * gateways on one real redis-server (tests/helpers/redis-server.ts), each with the same two
 * deployments at two fake OpenAI servers; requests are counted per fake upstream.
 *
 * Why the counts prove sharing: with `least-busy` and one call at a time, a router's tie-break sends
 * every call to the first deployment it may use. So a gateway that did not know of the other's
 * cooldown (or of the rpm the other spent) would send its first call to the first deployment; a
 * gateway without Redis does exactly that (the control in each test).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { createSwitchboard } from '../../src/index.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { REDIS_MISSING_MESSAGE, redisAvailable, startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const GATEWAY_KEY = 'gw-deployments-redis-key-0123456789';
const UPSTREAM_KEY = 'sk-upstream-deployments-redis-abcdef';
const describeRedis = redisAvailable() ? describe : describe.skip;
if (!redisAvailable()) console.warn(REDIS_MISSING_MESSAGE);

describeRedis('deployments shared over one Redis by two gateways', () => {
  let redis: RedisServer;
  let inspector: Redis;
  const cleanup: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    redis = await startRedisServer({ password: 'redis-pass-d3pl0ym3nt' });
    inspector = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await inspector.connect();
  }, 20_000);
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  afterAll(async () => {
    inspector?.disconnect();
    await redis?.dispose();
  });

  async function upstream(): Promise<FakeOpenAIServer> {
    const server = await FakeOpenAIServer.start();
    cleanup.push(() => server.close());
    return server;
  }

  /** The provider section both gateways (and the control) share. */
  function providers(deployments: Array<Record<string, unknown>>): Record<string, unknown> {
    return { openai: { apiKey: UPSTREAM_KEY, baseURL: String(deployments[0]!.baseURL), deployments } };
  }

  /** The gateways the last `twoGateways` started. */
  let started: Gateway[] = [];

  /** Two gateways on the shared Redis, and an OpenAI SDK client for each. */
  async function twoGateways(section: Record<string, unknown>): Promise<OpenAI[]> {
    const config = { telemetry: { logLevel: 'silent' as const }, providers: section, redis: { url: redis.url }, server: { apiKeys: [{ key: GATEWAY_KEY, tenant: 'acme' }] } };
    const gateways: Gateway[] = [];
    started = gateways;
    for (let i = 0; i < 2; i++) {
      const gateway = await startGateway({ config, port: 0, host: '127.0.0.1' });
      cleanup.push(() => gateway.close());
      gateways.push(gateway);
    }
    return gateways.map((gateway) => new OpenAI({ apiKey: GATEWAY_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 }));
  }

  /** What a switchboard without Redis does with the same config: its first call, and where it went. */
  async function controlCall(section: Record<string, unknown>): Promise<void> {
    const sb = await createSwitchboard({ config: { telemetry: { logLevel: 'silent' }, providers: section } });
    try {
      await sb.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'control' }] });
    } finally {
      await sb.close();
    }
  }

  const ask = (client: OpenAI, content: string) => client.chat.completions.create({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content }] });

  /** Wait (polling Redis, no fixed sleep) until `key` is cooling there. */
  async function coolingInRedis(key: string): Promise<number> {
    for (;;) {
      const left = await inspector.pttl(`switchboard:dc:${key}`);
      if (left > 0) return left;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('a 429 with Retry-After seen by gateway A makes gateway B skip that deployment during the cooldown', async () => {
    const [east, west] = [await upstream(), await upstream()];
    // East answers 429 (Retry-After 2 s) once, then is healthy again: only a shared cooldown keeps B away.
    let rejected = 0;
    east.respondWith(() => (rejected++ === 0 ? { kind: 'status', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '2' } } : undefined));
    const section = providers([{ name: 'east', baseURL: east.baseURL }, { name: 'west', baseURL: west.baseURL }]);
    const [a, b] = await twoGateways(section);

    const first = await ask(a!, 'through A');
    expect(first.choices[0]!.message.content).toContain('through A');
    expect(east.requestCount).toBe(1);
    expect(west.requestCount).toBe(1);
    const left = await coolingInRedis('openai/east');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(2000);

    for (let i = 0; i < 20; i++) await ask(b!, `through B ${i}`);
    // Every call of B went west: B skipped east for the cooldown A saw.
    expect(east.requestCount).toBe(1);
    expect(west.requestCount).toBe(21);

    // The control: without Redis, the same config sends its first call east (healthy again by now).
    await controlCall(section);
    expect(east.requestCount).toBe(2);

    // Once the cooldown has passed (Redis expired the key), B uses east again.
    while ((await inspector.pttl('switchboard:dc:openai/east')) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    // B's own copy of the cooldown (read from Redis as "now + what is left") ends within moments of the key.
    while (started[1]!.switchboard.stats().byDeployment['openai/east']!.cooling) await new Promise((resolve) => setTimeout(resolve, 10));
    await ask(b!, 'after the cooldown');
    expect(east.requestCount).toBe(3);
  });

  it('per-deployment rpm is shared: what gateway A spent of a deployment is spent for gateway B too', async () => {
    const [first, second] = [await upstream(), await upstream()];
    // rpm 1: one request a minute on deployment "one", whichever gateway sends it.
    const section = providers([{ name: 'one', baseURL: first.baseURL, rpm: 1 }, { name: 'two', baseURL: second.baseURL }]);
    const [a, b] = await twoGateways(section);

    await ask(a!, 'A spends the minute of "one"');
    expect(first.requestCount).toBe(1);
    for (let i = 0; i < 5; i++) await ask(b!, `through B ${i}`);
    // B found the shared bucket of "one" empty and sent every call to "two".
    expect(first.requestCount).toBe(1);
    expect(second.requestCount).toBe(5);

    // The control: without Redis the bucket is per process, and its first call goes to "one".
    await controlCall(section);
    expect(first.requestCount).toBe(2);
  });
});
