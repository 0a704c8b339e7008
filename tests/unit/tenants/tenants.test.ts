/**
 * The tenant parts on their own: the `*` glob, config validation with key paths, the spend ledger
 * over the memory store (injected clock, day buckets, bounds) and over a real Redis, tenant budget
 * windows (day and month) and the rpm bucket with an injected clock and a failing shared store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BudgetExceededError, ConfigError, RateLimitError } from '../../../src/core/errors.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { BudgetManager, MemoryBudgetStore } from '../../../src/resilience/budget.js';
import type { RateLimitStore } from '../../../src/resilience/rate-limit-store.js';
import { closeRedisClient, createRedisClient, RedisSpendStore, waitForRedis } from '../../../src/stores/redis/index.js';
import { compilePattern, PatternList } from '../../../src/tenants/pattern.js';
import { SpendLedger } from '../../../src/tenants/spend-ledger.js';
import { MemorySpendStore } from '../../../src/tenants/spend-store.js';
import { TenantPolicy } from '../../../src/tenants/tenant-policy.js';
import { REDIS_MISSING_MESSAGE, redisAvailable, startRedisServer, type RedisServer } from '../../helpers/redis-server.js';

const DAY = 86_400_000;
const NOON = Date.UTC(2026, 0, 31, 12);

describe('the tenant pattern', () => {
  it('matches * as any run of characters and everything else literally', () => {
    expect(compilePattern('openai:*').matches('openai:gpt-4o')).toBe(true);
    expect(compilePattern('openai:*').matches('openai:')).toBe(true);
    expect(compilePattern('openai:*').matches('anthropic:x')).toBe(false);
    expect(compilePattern('anthropic:claude-*').matches('anthropic:claude-3-5-haiku')).toBe(true);
    expect(compilePattern('anthropic:claude-*').matches('anthropic:clau')).toBe(false);
    expect(compilePattern('*:gpt-*-mini').matches('openai:gpt-4o-mini')).toBe(true);
    expect(compilePattern('*:gpt-*-mini').matches('openai:gpt-4o')).toBe(false);
    expect(compilePattern('a*a').matches('a')).toBe(false);
    expect(compilePattern('a*b*c').matches('abbc')).toBe(true);
    expect(compilePattern('bot:support').matches('bot:support2')).toBe(false);
    // Regex characters are literal: no regular expression is built from config.
    expect(compilePattern('x:a.b').matches('x:aXb')).toBe(false);
    expect(compilePattern('x:(a+)+$').matches('x:(a+)+$')).toBe(true);
    expect(new PatternList(['bot:a', 'bot:b*']).matches('bot:bee')).toBe(true);
    expect(new PatternList([]).matches('anything')).toBe(false);
  });
});

describe('tenant config', () => {
  async function problems(config: Record<string, unknown>): Promise<Array<{ key: string; message: string }>> {
    const error = await loadConfig({ config, env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }

  it('accepts a valid tenant and botsOnly keys', async () => {
    const config = await loadConfig({
      env: {},
      config: {
        tenants: { acme: { budget: { usdPerDay: 5, usdPerMonth: 100 }, allowedModels: ['openai:*'], allowedBots: ['bot:*'], rpm: 60 } },
        server: { apiKeys: [{ key: 'k'.repeat(24), tenant: 'acme', botsOnly: true }] },
      },
    });
    expect(config.tenants.acme!.rpm).toBe(60);
    expect(config.spend).toEqual({ retentionDays: 400, maxTenants: 10000 });
  });

  it('names every bad key path', async () => {
    const found = await problems({
      tenants: {
        acme: { budget: { usdPerDay: -1, usdPerWeek: 2 }, allowedModels: ['gpt-4o', 'bot:x', 3], allowedBots: ['support'], rpm: 0, colour: 'red' },
        'bad\nid': {},
      },
      server: { apiKeys: [{ key: 'k'.repeat(24), tenant: 'acme', botsOnly: 'yes' }] },
    });
    const keys = found.map((problem) => problem.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'tenants.acme.budget.usdPerDay',
        'tenants.acme.budget.usdPerWeek',
        'tenants.acme.allowedModels[0]',
        'tenants.acme.allowedModels[1]',
        'tenants.acme.allowedModels[2]',
        'tenants.acme.allowedBots[0]',
        'tenants.acme.rpm',
        'tenants.acme.colour',
        'server.apiKeys[0].botsOnly',
      ]),
    );
    expect(found.some((problem) => problem.message.includes('control characters'))).toBe(true);
  });

  it('holds tenant ids to limits.maxIdLength, in tenants and gateway keys', async () => {
    const long = 't'.repeat(20);
    const found = await problems({ limits: { maxIdLength: 10 }, tenants: { [long]: {} }, server: { apiKeys: [{ key: 'k'.repeat(24), tenant: long }] } });
    expect(found.map((problem) => problem.key)).toEqual(expect.arrayContaining([`tenants.${long}`, 'server.apiKeys[0].tenant']));
  });
});

describe('the spend ledger', () => {
  it('counts per UTC day with an injected clock, sums since a day, and keeps its bounds', async () => {
    const clock = { t: NOON };
    const store = new MemorySpendStore({ maxTenants: 2, maxDays: 3 });
    const ledger = new SpendLedger({ store, retentionDays: 3, now: () => clock.t });
    ledger.record('acme', { costUsd: 0.1, inputTokens: 10, outputTokens: 5 });
    ledger.record('acme', { costUsd: null, inputTokens: 1, outputTokens: 1 });
    clock.t += DAY;
    ledger.record('acme', { costUsd: 0.2, inputTokens: 20, outputTokens: 10 });
    expect(await ledger.query({ tenantId: 'acme' })).toEqual({ costUsd: 0.3, inputTokens: 31, outputTokens: 16, calls: 3 });
    expect(await ledger.query({ tenantId: 'acme', since: new Date(clock.t).toISOString().slice(0, 10) })).toEqual({ costUsd: 0.2, inputTokens: 20, outputTokens: 10, calls: 1 });
    expect(await ledger.query({ tenantId: 'acme', since: clock.t - 1 })).toMatchObject({ calls: 1 });
    // Three days later the first day is past retention.
    clock.t += 2 * DAY;
    expect(await ledger.query({ tenantId: 'acme' })).toMatchObject({ calls: 1 });
    // At most maxTenants tenants are kept: the least recently charged is dropped.
    ledger.record('b', { costUsd: 1, inputTokens: 0, outputTokens: 0 });
    ledger.record('c', { costUsd: 1, inputTokens: 0, outputTokens: 0 });
    expect(store.size).toBe(2);
    expect(await ledger.query({ tenantId: 'acme' })).toMatchObject({ calls: 0 });
    await ledger.close();
  });

  it('never fails a call when the store fails', async () => {
    const failures: unknown[] = [];
    const broken = new MemorySpendStore();
    broken.add = async () => {
      throw new Error('down');
    };
    const ledger = new SpendLedger({ store: broken, retentionDays: 400, onStoreError: (error) => failures.push(error) });
    expect(() => ledger.record('acme', { costUsd: 1, inputTokens: 1, outputTokens: 1 })).not.toThrow();
    await ledger.close();
    expect(failures).toHaveLength(1);
  });
});

const describeRedis = redisAvailable() ? describe : describe.skip;
if (!redisAvailable()) console.warn(REDIS_MISSING_MESSAGE);

describeRedis('the Redis spend store', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('is shared by two ledgers and expires its day keys', async () => {
    const clients = [createRedisClient({ url: redis.url }), createRedisClient({ url: redis.url })];
    try {
      await Promise.all(clients.map((client) => waitForRedis(client)));
      const ledgers = clients.map((client) => new SpendLedger({ store: new RedisSpendStore({ client, keyPrefix: 'spendtest:' }), retentionDays: 400, now: () => NOON }));
      ledgers[0]!.record('a:b', { costUsd: 0.25, inputTokens: 3, outputTokens: 4 });
      ledgers[1]!.record('a:b', { costUsd: 0.5, inputTokens: 1, outputTokens: 1 });
      await Promise.all(ledgers.map((ledger) => ledger.close()));
      const reader = new SpendLedger({ store: new RedisSpendStore({ client: clients[0]!, keyPrefix: 'spendtest:' }), retentionDays: 400, now: () => NOON });
      expect(await reader.query({ tenantId: 'a:b' })).toEqual({ costUsd: 0.75, inputTokens: 4, outputTokens: 5, calls: 2 });
      const ttl = await clients[0]!.pttl('spendtest:spend:a%3Ab:2026-01-31');
      expect(ttl).toBeGreaterThan(399 * DAY);
      expect(ttl).toBeLessThanOrEqual(400 * DAY);
    } finally {
      await Promise.all(clients.map((client) => closeRedisClient(client)));
    }
  });
});

describe('tenant budgets', () => {
  it('reserves day and month windows atomically and says when the full one resets', async () => {
    const clock = { t: NOON };
    const budgets = new BudgetManager({ store: new MemoryBudgetStore({ now: () => clock.t }), now: () => clock.t });
    const tenant = { id: 'acme', budget: { usdPerDay: 1, usdPerMonth: 1.5 } };
    await budgets.reserve({ tenant, maxCostUsd: 1 });
    const day = (await budgets.reserve({ tenant, maxCostUsd: 0.5 }).catch((e: unknown) => e)) as BudgetExceededError;
    expect(BudgetExceededError.isInstance(day)).toBe(true);
    expect(day.message).toContain('tenants.acme.budget.usdPerDay');
    expect(day.retryAfterMs).toBe(12 * 3_600_000);
    // The next day (Feb 1st) a new month starts too; spend a day's worth and then the month is not full yet.
    clock.t += DAY;
    await budgets.reserve({ tenant, maxCostUsd: 1 });
    clock.t += DAY;
    await budgets.reserve({ tenant, maxCostUsd: 0.5 });
    const month = (await budgets.reserve({ tenant, maxCostUsd: 0.1 }).catch((e: unknown) => e)) as BudgetExceededError;
    expect(month.message).toContain('tenants.acme.budget.usdPerMonth');
    expect(month.retryAfterMs).toBe(Date.UTC(2026, 2, 1) - clock.t);
    // A bot's and a tenant's budget in one reservation: both charged or neither.
    const both = await budgets.reserve({ bot: 'b', budget: { usdPerDay: 10 }, tenant: { id: 'other', budget: { usdPerDay: 0.2 } }, maxCostUsd: 0.3 }).catch((e: unknown) => e);
    expect(BudgetExceededError.isInstance(both)).toBe(true);
    await expect(budgets.reserve({ bot: 'b', budget: { usdPerDay: 0.3 }, maxCostUsd: 0.3 })).resolves.toBeDefined();
  });
});

describe('tenant rpm', () => {
  it('grants rpm calls a minute per tenant, refuses the next with the wait, and falls back when the shared store fails', async () => {
    const clock = { t: 0 };
    const failures: unknown[] = [];
    const failing: RateLimitStore = {
      take: async () => {
        throw new Error('redis down');
      },
      adjust: async () => undefined,
      close: async () => undefined,
    };
    const policy = new TenantPolicy({ tenants: { acme: { rpm: 2 }, free: {} }, rateStore: failing, now: () => clock.t, onStoreError: (error) => failures.push(error) });
    expect(policy.admit('free')).toBeUndefined();
    expect(policy.admit(undefined)).toBeUndefined();
    await policy.admit('acme');
    await policy.admit('acme');
    const refused = (await policy.admit('acme')!.catch((e: unknown) => e)) as RateLimitError;
    expect(RateLimitError.isInstance(refused)).toBe(true);
    expect(refused.kind).toBe('client');
    expect(refused.retryAfterMs).toBe(30_000);
    clock.t += 30_000;
    await expect(policy.admit('acme')).resolves.toBeUndefined();
    expect(failures).toHaveLength(4);
    await policy.close();
  });
});
