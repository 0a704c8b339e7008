/**
 * Issue 17's "done when" for tenants: a tenant budget of $0.01 stops its calls at the budget across
 * two gateway instances sharing one real redis-server. 1,000 calls start at once through the official
 * openai SDK, spread over both gateways; spend (the successes' cost, what `sb.spend()` reads back from
 * Redis on either instance, and the upstream's request count) stays <= budget + one call's maximum,
 * and every other call is a 429 `budget_exceeded` with a `retry-after` until the day window resets,
 * refused before any upstream call. Skipped visibly without a redis-server binary.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { REDIS_MISSING_MESSAGE, redisAvailable, startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const GATEWAY_KEY = 'gw-tenant-budget-key-0123456789';
const CALLS = 1_000;
const BUDGET_USD = 0.01;
const MAX_TOKENS = 50;
/** openai:gpt-4o in config/models.json: $2.5 in, $10 out per million tokens. */
const USAGE = { promptTokens: 10, completionTokens: MAX_TOKENS };
const CALL_COST_USD = (USAGE.promptTokens * 2.5 + USAGE.completionTokens * 10) / 1e6;
const describeRedis = redisAvailable() ? describe : describe.skip;
if (!redisAvailable()) console.warn(REDIS_MISSING_MESSAGE);

describeRedis('a tenant budget shared by two gateways over one Redis', () => {
  let redis: RedisServer;
  let upstream: FakeOpenAIServer;
  let gateways: Gateway[];
  let clients: OpenAI[];

  beforeAll(async () => {
    redis = await startRedisServer();
    upstream = await FakeOpenAIServer.start({ defaultReply: () => ({ text: 'fine', usage: USAGE, delayMs: 2 }) });
    const config = {
      telemetry: { logLevel: 'silent' as const },
      providers: { openai: { apiKey: 'sk-upstream-tenant-budget-abcdef', baseURL: upstream.baseURL } },
      // 1,000 reservations at once queue on one connection: on a loaded 2-core box the last waits past 1 s.
      redis: { url: redis.url, commandTimeoutMs: 10_000 },
      resilience: { maxRetries: 0, maxConcurrency: CALLS },
      server: { apiKeys: [{ key: GATEWAY_KEY, tenant: 'acme' }] },
      tenants: { acme: { budget: { usdPerDay: BUDGET_USD }, allowedModels: ['openai:gpt-4o'] } },
    };
    gateways = [await startGateway({ config, port: 0, host: '127.0.0.1' }), await startGateway({ config, port: 0, host: '127.0.0.1' })];
    clients = gateways.map((gw) => new OpenAI({ apiKey: GATEWAY_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 }));
  }, 20_000);

  afterAll(async () => {
    await Promise.all((gateways ?? []).map((gw) => gw.close()));
    await upstream?.close();
    await redis?.dispose();
  });

  it('stops the tenant at its budget over 1,000 concurrent calls, spend <= budget + one call', async () => {
    const before = upstream.requestCount;
    const outcomes = await Promise.all(
      Array.from({ length: CALLS }, async (_, i) => {
        try {
          const answer = await clients[i % 2]!.chat.completions.create({ model: 'openai:gpt-4o', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: `call ${i}` }] });
          return { ok: true as const, text: answer.choices[0]!.message.content };
        } catch (error) {
          const failure = error as { status?: number; code?: string; headers?: Headers };
          return { ok: false as const, status: failure.status, code: failure.code, retryAfter: failure.headers?.get('retry-after') ?? null };
        }
      }),
    );
    const succeeded = outcomes.filter((outcome) => outcome.ok);
    const refused = outcomes.filter((outcome) => !outcome.ok);
    expect(succeeded.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(succeeded.length + refused.length).toBe(CALLS);
    // The figure: what the tenant spent stays within its budget plus one call's maximum.
    expect(succeeded.length * CALL_COST_USD).toBeLessThanOrEqual(BUDGET_USD + CALL_COST_USD + 1e-12);
    // Refused calls never reached the upstream.
    expect(upstream.requestCount - before).toBe(succeeded.length);
    for (const failure of refused) {
      expect(failure).toMatchObject({ status: 429, code: 'budget_exceeded' });
      // Until the next UTC midnight: at least a second, at most a day.
      const seconds = Number(failure.retryAfter);
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(86_400);
    }
    // Both instances read the same ledger from Redis (writes go out as calls finish: wait for them).
    const expected = { calls: succeeded.length, inputTokens: succeeded.length * USAGE.promptTokens, outputTokens: succeeded.length * USAGE.completionTokens };
    for (const gw of gateways) {
      let spend = await gw.switchboard.spend({ tenantId: 'acme' });
      for (let tries = 0; spend.calls < expected.calls && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        spend = await gw.switchboard.spend({ tenantId: 'acme' });
      }
      expect(spend).toMatchObject(expected);
      expect(spend.costUsd).toBeCloseTo(succeeded.length * CALL_COST_USD, 10);
      expect(spend.costUsd).toBeLessThanOrEqual(BUDGET_USD + CALL_COST_USD + 1e-12);
    }
    // Each instance's stats count its own share of the tenant's calls.
    const byTenant = gateways.map((gw) => gw.switchboard.stats().byTenant.acme!);
    expect(byTenant.reduce((sum, entry) => sum + entry.requests, 0)).toBe(CALLS);
    expect(byTenant.reduce((sum, entry) => sum + entry.errors, 0)).toBe(refused.length);
  }, 60_000);
});
