/**
 * The Redis stores against a real redis-server (with a password, as in production): each store
 * round-trips and expires; the budget store matches MemoryBudgetStore and cannot be overspent by two
 * instances (two clients) racing; two RateLimiters share one allowance; a stopped Redis makes every
 * store call fail fast with an error free of the password, and a restarted one works again.
 */
import { createHook } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { ResponseCache, type CachedAnswer } from '../../src/cache/response-cache.js';
import { ConfigError, LLMError, RateLimitError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import { BudgetManager, MemoryBudgetStore, type BudgetEntry, type BudgetStore } from '../../src/resilience/budget.js';
import { RateLimiter } from '../../src/resilience/rate-limiter.js';
import type { Session } from '../../src/sessions/session-store.js';
import {
  RedisBudgetStore,
  RedisRateLimitStore,
  RedisResponseStore,
  RedisSessionStore,
  RedisStoreError,
  closeRedisClient,
  createRedisClient,
  waitForRedis,
} from '../../src/stores/redis/index.js';
import { REDIS_MISSING_MESSAGE, redisAvailable, startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const PASSWORD = 'redis-test-pw-7Hq2xLk9';
const PREFIX = 'sbtest:';
const available = redisAvailable();
if (!available) console.warn(REDIS_MISSING_MESSAGE);
const describeRedis = available ? describe : describe.skip;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function session(id: string, ttlMs: number): Session {
  const now = Date.now();
  return { id, bot: 'support', userId: 'u1', metadata: { plan: 'pro', tags: ['a', 'b'] }, createdAt: now, expiresAt: now + ttlMs, ttlMs };
}

function answer(text: string): CachedAnswer {
  return { id: 'r1', text, model: 'openai:gpt-4o-mini', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 5, totalTokens: 8 } };
}

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (message: string, fields?: Record<string, unknown>) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, debug: log, info: log, warn: log, error: log };
}

describe('createRedisClient', () => {
  it('refuses a URL that is not redis:// without repeating it', () => {
    for (const url of ['http://user:secret-pw-123@host:6379', 'not a url secret-pw-123', 'redis://']) {
      let error: unknown;
      try {
        createRedisClient({ url });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems[0]!.key).toBe('redis.url');
      expect(String((error as Error).message)).not.toContain('secret-pw-123');
    }
  });
});

describeRedis('closeRedisClient', () => {
  /** Ids of the timers started while `work` runs that are still pending 50 ms after it settled. */
  async function timersLeftBy(work: () => Promise<void>): Promise<number> {
    const started = new Set<number>();
    let recording = true;
    const hook = createHook({
      init(id, type) {
        if (recording && type === 'Timeout') started.add(id);
      },
      destroy(id) {
        started.delete(id);
      },
    }).enable();
    try {
      await work();
      recording = false;
      await sleep(50);
    } finally {
      hook.disable();
    }
    return started.size;
  }

  it('leaves no timer running when it closes a client whose Redis went away', async () => {
    const server = await startRedisServer({ password: PASSWORD });
    const client = createRedisClient({ url: server.url, keyPrefix: PREFIX });
    try {
      await waitForRedis(client);
      await server.stop();
      const deadline = Date.now() + 2_000;
      while (client.status === 'ready' && Date.now() < deadline) await sleep(10);
      expect(client.status).not.toBe('ready');
      // ioredis' 2 s disconnect timer on an already-dead socket kept jest waiting after the tests.
      expect(await timersLeftBy(() => closeRedisClient(client))).toBe(0);
      // A second close is a no-op (ioredis would arm the timer again).
      expect(await timersLeftBy(() => closeRedisClient(client))).toBe(0);
    } finally {
      await closeRedisClient(client);
      await server.dispose();
    }
  });

  it('leaves no timer running and ends the client when Redis hangs (QUIT never answered)', async () => {
    const server = await startRedisServer({ password: PASSWORD });
    const client = createRedisClient({ url: server.url, keyPrefix: PREFIX }, { commandTimeoutMs: 200 });
    try {
      await waitForRedis(client);
      server.pause();
      expect(await timersLeftBy(() => closeRedisClient(client))).toBe(0);
      expect(client.status).toBe('end');
    } finally {
      server.resume();
      await closeRedisClient(client);
      await server.dispose();
    }
  });
});

describeRedis('stores built from config', () => {
  it('starts with responseCache { store: "redis", ttlMs: 0 } and gives such entries the default lifetime', async () => {
    const server = await startRedisServer();
    const { createSwitchboard } = await import('../../src/create-switchboard.js');
    const { FakeProvider } = await import('../../src/testing/index.js');
    try {
      const sb = await createSwitchboard({
        config: { telemetry: { logLevel: 'silent' }, redis: { url: server.url, keyPrefix: PREFIX }, responseCache: { enabled: true, store: 'redis', ttlMs: 0 } },
        managers: [new FakeProvider()],
        env: {},
      });
      try {
        await sb.generate({ model: 'fake:echo', prompt: 'cache me forever' });
        const probe = createRedisClient({ url: server.url });
        try {
          await waitForRedis(probe);
          const keys = await probe.keys(`${PREFIX}rc:*`);
          expect(keys).toHaveLength(1);
          expect(await probe.pttl(keys[0]!)).toBeGreaterThan(0);
        } finally {
          await closeRedisClient(probe);
        }
      } finally {
        await sb.close();
      }
    } finally {
      await server.dispose();
    }
  });
});

describeRedis('sessions in Redis', () => {
  it('starts a session with no adapters, whatever an expired session with the same id had', async () => {
    const server = await startRedisServer();
    const { createSwitchboard } = await import('../../src/create-switchboard.js');
    const { FakeProvider } = await import('../../src/testing/index.js');
    try {
      const sb = await createSwitchboard({
        config: { telemetry: { logLevel: 'silent' }, redis: { url: server.url, keyPrefix: PREFIX }, sessions: { store: 'redis' }, bots: { helper: { model: 'fake:echo' } } },
        managers: [new FakeProvider()],
        env: {},
      });
      try {
        // Tenant A's session carries A's own text in a session adapter; Redis expires it silently.
        await sb.sessions.start({ bot: 'helper', id: 'conv-1', tenantId: 'a', ttlMs: 100 });
        sb.adapters.activateForSession('conv-1', 'prefix-suffix', { prefix: '[for tenant a] ' });
        await sleep(200);
        expect(await sb.sessions.get('conv-1')).toBeUndefined();
        // Tenant B picks the same id: its session must not inherit A's adapter.
        await sb.sessions.start({ bot: 'helper', id: 'conv-1', tenantId: 'b' });
        expect(sb.adapters.activeFor({ sessionId: 'conv-1' })).toEqual([]);
        const result = await sb.chat({ sessionId: 'conv-1', tenantId: 'b', messages: [{ role: 'user', content: 'hello' }] });
        expect(result.text).not.toContain('tenant a');
      } finally {
        await sb.close();
      }
    } finally {
      await server.dispose();
    }
  });
});

describeRedis('Redis stores', () => {
  let server: RedisServer;
  // Two clients stand for two switchboard instances.
  let a: Redis;
  let b: Redis;
  const logger = collectingLogger();

  beforeAll(async () => {
    server = await startRedisServer({ password: PASSWORD });
    a = createRedisClient({ url: server.url, keyPrefix: PREFIX }, { logger });
    b = createRedisClient({ url: server.url, keyPrefix: PREFIX });
    await Promise.all([waitForRedis(a), waitForRedis(b)]);
  });

  afterAll(async () => {
    await Promise.all([a && closeRedisClient(a), b && closeRedisClient(b)]);
    await server?.dispose();
  });

  describe('sessions', () => {
    it('round-trips between instances under sess:<id> with a TTL of expiresAt - now', async () => {
      const one = new RedisSessionStore({ client: a, keyPrefix: PREFIX });
      const two = new RedisSessionStore({ client: b, keyPrefix: PREFIX });
      const started = session('s-round', 60_000);
      await one.set(started);
      expect(await two.get('s-round')).toEqual(started);
      const ttl = await a.pttl(`${PREFIX}sess:s-round`);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      // Only one of two racing removers is told it removed the session.
      const removed = await Promise.all([one.delete('s-round'), two.delete('s-round')]);
      expect(removed.filter(Boolean)).toHaveLength(1);
      expect(await one.get('s-round')).toBeUndefined();
      expect(await two.get('missing')).toBeUndefined();
    });

    it('lets Redis expire a session at expiresAt, and removes one stored already expired', async () => {
      const store = new RedisSessionStore({ client: a, keyPrefix: PREFIX });
      await store.set(session('s-short', 300));
      expect(await store.get('s-short')).toBeDefined();
      await sleep(500);
      expect(await store.get('s-short')).toBeUndefined();
      expect(await store.delete('s-short')).toBe(false);

      await store.set(session('s-past', 60_000));
      await store.set({ ...session('s-past', 60_000), expiresAt: Date.now() - 1 });
      expect(await a.exists(`${PREFIX}sess:s-past`)).toBe(0);
    });

    it('refuses a key that does not hold a session, and calls after close', async () => {
      const store = new RedisSessionStore({ client: a, keyPrefix: PREFIX });
      await a.set(`${PREFIX}sess:foreign`, 'not json', 'PX', 10_000);
      await expect(store.get('foreign')).rejects.toThrow(/does not hold a session/);
      await store.close();
      await expect(store.get('foreign')).rejects.toBeInstanceOf(RedisStoreError);
      expect(a.status).toBe('ready');
    });
  });

  describe('response cache', () => {
    it('is shared between instances as JSON under rc:<key>, and expires after its TTL', async () => {
      const one = new RedisResponseStore({ client: a, keyPrefix: PREFIX });
      const two = new RedisResponseStore({ client: b, keyPrefix: PREFIX });
      await one.set('hash-1', answer('Hello'), 60_000);
      expect(await two.get('hash-1')).toEqual(answer('Hello'));
      expect(JSON.parse((await a.get(`${PREFIX}rc:hash-1`))!)).toEqual(answer('Hello'));
      await one.set('hash-short', answer('Soon gone'), 300);
      expect(await two.get('hash-short')).toBeDefined();
      await sleep(500);
      expect(await two.get('hash-short')).toBeUndefined();
    });

    it('gives an entry without a TTL (ttlMs 0) the default lifetime, so Redis never keeps it forever', async () => {
      const store = new RedisResponseStore({ client: a, keyPrefix: PREFIX, defaultTtlMs: 5_000 });
      await store.set('hash-forever', answer('x'), 0);
      const ttl = await a.pttl(`${PREFIX}rc:hash-forever`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    });
  });

  describe('budget', () => {
    it('matches MemoryBudgetStore step for step', async () => {
      const memory = new MemoryBudgetStore();
      const redis = new RedisBudgetStore({ client: a, keyPrefix: PREFIX });
      const day: BudgetEntry = { key: 'budget:day:bot:same', limitUsd: 1, ttlMs: 60_000 };
      const sess: BudgetEntry = { key: 'budget:session:bot:same', limitUsd: 0.3, ttlMs: 60_000 };
      const steps: Array<(store: BudgetStore) => Promise<unknown>> = [
        (s) => s.reserve([day, sess], 0.1),
        (s) => s.reserve([day, sess], 0.2),
        // The session is full: nothing is charged anywhere, the day included.
        (s) => s.reserve([day, sess], 0.000001),
        (s) => s.reserve([day], 0.7),
        (s) => s.reserve([day], 0.1 + 0.2 - 0.3 + 1e-13),
        (s) => s.adjust([sess.key], -0.05, 60_000),
        (s) => s.reserve([day, sess], 0.05),
        // Never below 0; giving back to a key that does not exist does not create it.
        (s) => s.adjust([sess.key], -5, 60_000),
        (s) => s.adjust(['budget:session:bot:absent'], -1, 60_000),
        (s) => s.reserve([{ ...sess, limitUsd: 0 }], 0),
      ];
      for (const [i, step] of steps.entries()) {
        const [expected, actual] = [await step(memory), await step(redis)];
        expect({ step: i, result: actual }).toEqual({ step: i, result: expected });
        for (const key of [day.key, sess.key, 'budget:session:bot:absent']) {
          expect({ step: i, key, spent: await redis.spent(key) }).toEqual({ step: i, key, spent: await memory.spent(key) });
        }
      }
      expect(await a.exists(`${PREFIX}budget:session:bot:absent`)).toBe(0);
      expect(await a.exists(`${PREFIX}budget:day:bot:same`)).toBe(1);
    });

    it('extends a key on write but never shortens it, and expires it in Redis', async () => {
      const store = new RedisBudgetStore({ client: a, keyPrefix: PREFIX });
      await store.reserve([{ key: 'budget:day:ttl', limitUsd: 1, ttlMs: 30_000 }], 0.1);
      await store.adjust(['budget:day:ttl'], 0.1, 100);
      expect(await a.pttl(`${PREFIX}budget:day:ttl`)).toBeGreaterThan(25_000);
      await store.reserve([{ key: 'budget:short', limitUsd: 1, ttlMs: 300 }], 0.1);
      expect(await a.exists(`${PREFIX}budget:short`)).toBe(1);
      await sleep(500);
      expect(await store.spent('budget:short')).toBe(0);
    });

    it('cannot be overspent by two instances racing 1,000 calls, and charges day and session together', async () => {
      const limits = { usdPerDay: 1, usdPerSession: 0.3 };
      const maxCostUsd = 0.01;
      const instances = [a, b].map((client) => new BudgetManager({ store: new RedisBudgetStore({ client, keyPrefix: PREFIX }) }));
      let granted = 0;
      let refused = 0;
      const call = async (i: number) => {
        const manager = instances[i % 2]!;
        try {
          const reservation = await manager.reserve({ bot: 'race', sessionId: `s${i % 5}`, budget: limits, maxCostUsd });
          granted++;
          // Real costs vary up to the estimate, and give room back for later calls.
          await reservation.settle(maxCostUsd * ((i * 7919) % 100) / 100);
        } catch (error) {
          expect((error as LLMError).code).toBe('budget_exceeded');
          refused++;
        }
      };
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => call(i)));
      const store = new RedisBudgetStore({ client: a, keyPrefix: PREFIX });
      const day = await store.spent(BudgetManager.dayKey('race', Date.now()));
      const sessions = await Promise.all([0, 1, 2, 3, 4].map((s) => store.spent(BudgetManager.sessionKey('race', `s${s}`))));
      expect(granted + refused).toBe(1_000);
      expect(granted).toBeGreaterThanOrEqual(100);
      expect(refused).toBeGreaterThan(0);
      expect(day).toBeLessThanOrEqual(limits.usdPerDay + maxCostUsd);
      for (const spent of sessions) expect(spent).toBeLessThanOrEqual(limits.usdPerSession + maxCostUsd);
      // All-or-nothing: every charge to a session went to the day too.
      expect(day).toBeCloseTo(sessions.reduce((sum, spent) => sum + spent, 0), 9);
    });

    it('grants exactly what fits when two instances reserve without settling', async () => {
      const stores = [a, b].map((client) => new RedisBudgetStore({ client, keyPrefix: PREFIX }));
      const entries: BudgetEntry[] = [{ key: 'budget:day:exact', limitUsd: 0.5, ttlMs: 60_000 }];
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => stores[i % 2]!.reserve(entries, 0.01)));
      expect(results.filter(Boolean)).toHaveLength(50);
      expect(await stores[1]!.spent('budget:day:exact')).toBeCloseTo(0.5, 12);
    });
  });

  describe('rate limits', () => {
    it('shares one request allowance between two limiters', async () => {
      const limits = { shared: { requestsPerMinute: 60, maxWaitMs: 0 } };
      const limiters = [a, b].map((client) => new RateLimiter({ limits, store: new RedisRateLimitStore({ client, keyPrefix: PREFIX }) }));
      const outcomes = await Promise.allSettled(Array.from({ length: 80 }, (_, i) => limiters[i % 2]!.acquire('shared', 0)));
      const granted = outcomes.filter((o) => o.status === 'fulfilled').length;
      // A burst of 60; one more may have refilled if the run took over a second.
      expect(granted).toBeGreaterThanOrEqual(60);
      expect(granted).toBeLessThanOrEqual(61);
      const refusal = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(refusal.reason).toBeInstanceOf(RateLimitError);
      expect((refusal.reason as RateLimitError).message).toContain('requestsPerMinute 60');
      expect(await a.pttl(`${PREFIX}rl:shared`)).toBeGreaterThan(0);
      for (const limiter of limiters) limiter.close();
    });

    it('makes one instance wait for tokens another spent, and refunds over-estimates to both', async () => {
      const limits = { tok: { tokensPerMinute: 6_000, maxWaitMs: 3_000 } };
      const [one, two] = [a, b].map((client) => new RateLimiter({ limits, store: new RedisRateLimitStore({ client, keyPrefix: PREFIX }) }));
      const big = await one!.acquire('tok', 6_000);
      // 100 tokens a second: 20 tokens take about 200 ms on Redis's clock.
      const waited = await two!.acquire('tok', 20);
      expect(waited.waitedMs).toBeGreaterThanOrEqual(150);
      expect(waited.waitedMs).toBeLessThan(2_000);
      big.settle(1_000);
      await sleep(50);
      const quick = await two!.acquire('tok', 4_000);
      expect(quick.waitedMs).toBeLessThan(100);
      one!.close();
      two!.close();
    });
  });

  describe('when Redis goes down', () => {
    it('times out calls to a Redis that stopped answering instead of hanging', async () => {
      const sessions = new RedisSessionStore({ client: a, keyPrefix: PREFIX });
      const budgets = new RedisBudgetStore({ client: a, keyPrefix: PREFIX });
      server.pause();
      try {
        const started = performance.now();
        const results = await Promise.allSettled([sessions.get('s-any'), budgets.reserve([{ key: 'budget:day:hung', limitUsd: 1, ttlMs: 1_000 }], 0.1)]);
        expect(performance.now() - started).toBeLessThan(2_000);
        for (const result of results) {
          expect(result.status).toBe('rejected');
          const error = (result as PromiseRejectedResult).reason as Error;
          expect(error).toBeInstanceOf(RedisStoreError);
          expect(error.message).toMatch(/timed out/i);
        }
      } finally {
        server.resume();
      }
      expect(await sessions.get('s-any')).toBeUndefined();
    });

    it('fails every store call fast without the password, falls back where it should, and recovers', async () => {
      const sessions = new RedisSessionStore({ client: a, keyPrefix: PREFIX });
      const responses = new RedisResponseStore({ client: a, keyPrefix: PREFIX });
      const budgets = new RedisBudgetStore({ client: a, keyPrefix: PREFIX });
      const rates = new RedisRateLimitStore({ client: a, keyPrefix: PREFIX });
      await sessions.set(session('s-durable', 60_000));
      await server.stop();

      const calls: Array<[string, () => Promise<unknown>]> = [
        ['session get', () => sessions.get('s-durable')],
        ['session set', () => sessions.set(session('s-new', 60_000))],
        ['session delete', () => sessions.delete('s-durable')],
        ['cache get', () => responses.get('hash-1')],
        ['cache set', () => responses.set('hash-2', answer('x'), 1_000)],
        ['budget reserve', () => budgets.reserve([{ key: 'budget:day:down', limitUsd: 1, ttlMs: 1_000 }], 0.1)],
        ['budget adjust', () => budgets.adjust(['budget:day:down'], 0.1, 1_000)],
        ['budget spent', () => budgets.spent('budget:day:down')],
        ['rate take', () => rates.take({ provider: 'down', limits: { requestsPerMinute: 10 }, requests: 1, tokens: 0 })],
      ];
      for (const [name, call] of calls) {
        const started = performance.now();
        const error = await call().then(
          () => new Error(`${name} succeeded with Redis down`),
          (e: unknown) => e,
        );
        expect({ name, ms: performance.now() - started < 2_000 }).toEqual({ name, ms: true });
        expect({ name, error }).toEqual({ name, error: expect.any(RedisStoreError) });
        expect((error as Error).message).toMatch(/Redis is not connected|Connection is closed/);
        const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack} ${String((error as Error).cause)}`;
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(server.url);
      }

      // The pipeline's cache falls through; a budget reservation reaches the caller; rate limits fall back to local buckets.
      const cache = new ResponseCache(responses, 1_000, logger);
      expect(await cache.lookup('hash-1')).toBeUndefined();
      await expect(new BudgetManager({ store: budgets }).reserve({ bot: 'x', budget: { usdPerDay: 1 }, maxCostUsd: 0.1 })).rejects.toBeInstanceOf(RedisStoreError);
      const storeErrors: unknown[] = [];
      const limiter = new RateLimiter({ limits: { down: { requestsPerMinute: 2, maxWaitMs: 0 } }, store: rates, onStoreError: (e) => storeErrors.push(e) });
      await limiter.acquire('down', 0);
      await limiter.acquire('down', 0);
      await expect(limiter.acquire('down', 0)).rejects.toBeInstanceOf(RateLimitError);
      expect(storeErrors.length).toBe(3);
      expect(logger.lines.join('\n')).not.toContain(PASSWORD);

      await server.restart();
      const deadline = Date.now() + 5_000;
      let back: Session | undefined;
      while (Date.now() < deadline) {
        back = await sessions.get('s-new').catch(() => undefined);
        if (a.status === 'ready') break;
        await sleep(50);
      }
      // A restarted Redis without persistence is empty; writing and reading work again.
      expect(back).toBeUndefined();
      await sessions.set(session('s-after', 60_000));
      expect((await sessions.get('s-after'))?.id).toBe('s-after');
      expect(await budgets.reserve([{ key: 'budget:day:after', limitUsd: 1, ttlMs: 1_000 }], 0.1)).toBe(true);
      expect(await rates.take({ provider: 'after', limits: { requestsPerMinute: 10 }, requests: 1, tokens: 0 })).toEqual({ granted: true });
      // The outage was logged once (ioredis may notice the closed socket only after the first failed calls), and its end.
      expect(logger.lines.filter((line) => line.startsWith('Redis unreachable'))).toHaveLength(1);
      expect(logger.lines.some((line) => line.startsWith('Redis connection restored'))).toBe(true);
      limiter.close();
    });
  });
});
