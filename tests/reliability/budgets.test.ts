/**
 * RELIABILITY.md row "budgets: 1,000 concurrent calls": against a bot with `budget.usdPerDay`, all
 * calls start at once (half streamed); spend (the sum of the successes' costUsd, and what the
 * budget ledger holds) stays <= budget + one call's maximum; every other call is rejected with
 * BudgetExceededError before reaching the provider. Run once in one process (memory ledger) and
 * once over two switchboards sharing a real Redis ledger, where reservations race for real (skipped,
 * visibly and with the reason, when no redis-server binary is installed).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BudgetExceededError } from '../../src/core/errors.js';
import { BudgetManager, estimateMaxCostUsd, type BudgetStore } from '../../src/resilience/budget.js';
import { estimatePromptTokens } from '../../src/resilience/input-limits.js';
import type { Switchboard } from '../../src/switchboard.js';
import { REDIS_MISSING_MESSAGE, redisAvailable, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { chaosSwitchboard, drainStream, settle, startChaosServers, type ChaosServers } from './helpers.js';

const CALLS = 1_000;
const BUDGET_USD = 0.5;
const MAX_TOKENS = 20;
const PRICING = { inputPerMTok: 1_000, outputPerMTok: 2_000 };
const PROMPT = 'How much is left in the budget today?';
/** The Redis half runs only with a redis-server binary; without one it is reported as skipped, not passed. */
const REDIS_AVAILABLE = redisAvailable();
const itWithRedis = REDIS_AVAILABLE ? it : it.skip;
/** A skipped test names why in its title too, so the summary shows it. */
const redisReason = REDIS_AVAILABLE ? '' : ' [skipped: redis-server not found]';
if (!REDIS_AVAILABLE) console.warn(REDIS_MISSING_MESSAGE);

describe('reliability: budgets under concurrency', () => {
  let servers: ChaosServers;
  let redis: RedisServer | undefined;
  const opened: Switchboard[] = [];

  beforeAll(async () => {
    servers = await startChaosServers();
    // Answers use every output token allowed, so real costs sit close to the reserved maximum.
    servers.openai.setDefaultReply(() => ({ text: Array.from({ length: MAX_TOKENS }, (_, i) => `w${i}`).join(' '), delayMs: 5 }));
    redis = REDIS_AVAILABLE ? await startRedisServer() : undefined;
  });

  afterAll(async () => {
    for (const sb of opened) await sb.close();
    await servers?.close();
    await redis?.dispose();
  });

  async function meteredSwitchboard(bot: string, redisUrl = ''): Promise<Switchboard> {
    const sb = await chaosSwitchboard(servers, {
      models: { 'openai:gpt-metered': { pricing: PRICING } },
      bots: { [bot]: { model: 'openai:gpt-metered', params: { maxTokens: MAX_TOKENS }, budget: { usdPerDay: BUDGET_USD } } },
      // 1,000 reservations at once queue on one connection: on a loaded 2-core CI box the last waits past 1 s.
      redis: { url: redisUrl, commandTimeoutMs: 10_000 },
    });
    opened.push(sb);
    return sb;
  }

  /** Start CALLS calls at once, spread over `instances` (half streamed), and check the figure. */
  async function spendUnderLoad(bot: string, instances: Switchboard[], label: string): Promise<void> {
    const requestsBefore = servers.openai.requestCount;
    const messages = [{ role: 'user' as const, content: PROMPT }];
    const outcomes = await Promise.all(
      Array.from({ length: CALLS }, (_, i) => {
        const sb = instances[i % instances.length]!;
        return i % 4 < 2
          ? settle(sb.chat({ bot, messages }))
          : drainStream(sb.stream({ bot, messages })).then((outcome) =>
              outcome.error ? { ok: false as const, error: outcome.error } : { ok: true as const, value: outcome.result! },
            );
      }),
    );
    const costs = outcomes.flatMap((outcome) => (outcome.ok ? [outcome.value.costUsd ?? NaN] : []));
    const rejected = outcomes.filter((outcome) => !outcome.ok && outcome.error instanceof BudgetExceededError).length;
    const other = outcomes.filter((outcome) => !outcome.ok && !(outcome.error instanceof BudgetExceededError)).map((outcome) => String((outcome as { error: unknown }).error));
    const spent = costs.reduce((sum, cost) => sum + cost, 0);
    // White box: the budget ledger itself (the store behind BudgetManager; shared when in Redis).
    const store = (instances[0] as unknown as { services: { budgets: { store: BudgetStore } } }).services.budgets.store;
    const dayKey = BudgetManager.dayKey(bot, Date.now());
    // A call settles its reservation after answering, without making its caller wait (a Redis round
    // trip each): the ledger reaches the real cost a moment later. Wait for that event, not a time.
    let ledger = await store.spent(dayKey);
    for (let poll = 0; poll < 400 && Math.abs(ledger - spent) > 1e-9; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      ledger = await store.spent(dayKey);
    }
    const oneCallMax = estimateMaxCostUsd(PRICING, estimatePromptTokens(messages), MAX_TOKENS)!;
    const requests = servers.openai.requestCount - requestsBefore;
    console.log(
      `budgets (${label}): ${CALLS} concurrent calls, ${costs.length} answered, ${rejected} BudgetExceededError; spent $${spent.toFixed(6)} ` +
        `(ledger $${ledger.toFixed(6)}) of a $${BUDGET_USD} budget, one call at most $${oneCallMax.toFixed(6)}; provider requests ${requests}`,
    );
    expect(other).toEqual([]);
    expect(costs.length + rejected).toBe(CALLS);
    expect(costs.every((cost) => Number.isFinite(cost) && cost > 0 && cost <= oneCallMax)).toBe(true);
    expect(spent).toBeLessThanOrEqual(BUDGET_USD + oneCallMax);
    expect(ledger).toBeLessThanOrEqual(BUDGET_USD + oneCallMax);
    expect(ledger).toBeCloseTo(spent, 9);
    // Rejected calls never reached the provider; the budget, not something else, was the limit.
    expect(requests).toBe(costs.length);
    expect(costs.length).toBeGreaterThan(0);
    expect(spent + oneCallMax).toBeGreaterThan(BUDGET_USD * 0.5);
  }

  it('budgets: 1,000 concurrent calls -> spend <= budget + one call maximum; the rest BudgetExceededError', async () => {
    await spendUnderLoad('metered', [await meteredSwitchboard('metered')], 'one process, memory ledger');
  });

  itWithRedis(`budgets: 1,000 concurrent calls over two instances sharing a Redis ledger -> spend <= budget + one call maximum${redisReason}`, async () => {
    if (!redis) throw new Error('redis-server was found but did not start');
    const instances = [await meteredSwitchboard('shared-meter', redis.url), await meteredSwitchboard('shared-meter', redis.url)];
    await spendUnderLoad('shared-meter', instances, 'two instances, Redis ledger');
  });
});
