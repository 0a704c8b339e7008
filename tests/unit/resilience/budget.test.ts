import { describe, expect, it } from '@jest/globals';
import { BudgetExceededError } from '../../../src/core/errors.js';
import { BudgetManager, MemoryBudgetStore, estimateMaxCostUsd, type BudgetEntry, type BudgetStore } from '../../../src/resilience/budget.js';

function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 48_271) % 2_147_483_647;
    return state / 2_147_483_647;
  };
}

const pause = (turns: number) => Array.from({ length: turns }).reduce<Promise<void>>((p) => p.then(() => new Promise((r) => setImmediate(r))), Promise.resolve());

/** A store that answers after a few event-loop turns, as a networked store would. */
class SlowStore implements BudgetStore {
  constructor(
    private readonly inner: BudgetStore,
    private readonly random: () => number,
  ) {}
  async reserve(entries: BudgetEntry[], amountUsd: number) {
    await pause(Math.floor(this.random() * 3));
    return this.inner.reserve(entries, amountUsd);
  }
  async adjust(keys: string[], deltaUsd: number, ttlMs: number) {
    await pause(Math.floor(this.random() * 3));
    return this.inner.adjust(keys, deltaUsd, ttlMs);
  }
  spent(key: string) {
    return this.inner.spent(key);
  }
  close() {
    return this.inner.close();
  }
}

const NOON = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('BudgetManager under 1,000 concurrent calls', () => {
  it('keeps settled spend within the budget plus one call maximum and loses no reservation', async () => {
    const random = seeded(2026);
    const store = new MemoryBudgetStore({ now: () => NOON });
    const budgets = new BudgetManager({ store: new SlowStore(store, random), now: () => NOON });
    const budget = { usdPerDay: 1 };
    let accepted = 0;
    let rejected = 0;
    let expectedSpend = 0;
    let largestMax = 0;
    await Promise.all(
      Array.from({ length: 1_000 }, async (_, i) => {
        const maxCostUsd = 0.001 + random() * 0.02;
        largestMax = Math.max(largestMax, maxCostUsd);
        let reservation;
        try {
          reservation = await budgets.reserve({ bot: 'support', sessionId: `s${i % 50}`, budget, maxCostUsd });
        } catch (error) {
          expect(error).toBeInstanceOf(BudgetExceededError);
          rejected++;
          return;
        }
        accepted++;
        await pause(Math.floor(random() * 5));
        const outcome = random();
        if (outcome < 0.1) {
          await reservation.release();
        } else if (outcome < 0.2) {
          // Usage unknown: the reserved maximum stays spent.
          expectedSpend += reservation.reservedUsd;
          await reservation.settle(null);
        } else {
          // The real cost may pass the estimate a little (the input estimate is rough).
          const actual = maxCostUsd * random() * 1.1;
          expectedSpend += actual;
          await reservation.settle(actual);
        }
      }),
    );
    const spent = await store.spent(BudgetManager.dayKey('support', NOON));
    expect(accepted + rejected).toBe(1_000);
    expect(rejected).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(1 + largestMax);
    // The budget was really used, not refused wholesale (reservations hold each call's maximum until it
    // settles, so concurrent calls cannot fill it with real costs that average about half the maximum).
    expect(spent).toBeGreaterThan(0.5);
    // Every reservation was settled or released into the store exactly once.
    expect(spent).toBeCloseTo(expectedSpend, 9);
  });
});

describe('BudgetManager', () => {
  function makeManager(start = NOON) {
    const clock = { t: start };
    const store = new MemoryBudgetStore({ now: () => clock.t });
    const budgets = new BudgetManager({ store, now: () => clock.t, sessionTtlMs: 60_000 });
    return { clock, store, budgets };
  }

  it('enforces a session budget per session while the day budget sums all sessions', async () => {
    const { store, budgets } = makeManager();
    const budget = { usdPerDay: 10, usdPerSession: 0.05 };
    for (let i = 0; i < 5; i++) await (await budgets.reserve({ bot: 'support', sessionId: 'a', budget, maxCostUsd: 0.01 })).settle(0.01);
    const error = await budgets.reserve({ bot: 'support', sessionId: 'a', budget, maxCostUsd: 0.01 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as Error).message).toContain('session "a" of bot "support"');
    expect((error as Error).message).toContain('bots.support.budget.usdPerSession');
    await (await budgets.reserve({ bot: 'support', sessionId: 'b', budget, maxCostUsd: 0.01 })).settle(0.02);
    expect(await store.spent(BudgetManager.sessionKey('support', 'a'))).toBeCloseTo(0.05, 12);
    expect(await store.spent(BudgetManager.sessionKey('support', 'b'))).toBeCloseTo(0.02, 12);
    expect(await store.spent(BudgetManager.dayKey('support', NOON))).toBeCloseTo(0.07, 12);
  });

  it('names the bot and its daily limit when the day is spent, and charges nothing on refusal', async () => {
    const { store, budgets } = makeManager();
    const budget = { usdPerDay: 0.1, usdPerSession: 1 };
    await (await budgets.reserve({ bot: 'sales', sessionId: 'x', budget, maxCostUsd: 0.08 })).settle(0.08);
    const error = await budgets.reserve({ bot: 'sales', sessionId: 'y', budget, maxCostUsd: 0.05 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as Error).message).toContain('bot "sales"');
    expect((error as Error).message).toContain('$0.1 daily budget (bots.sales.budget.usdPerDay)');
    // All-or-nothing: the session key of the refused call was not charged either.
    expect(await store.spent(BudgetManager.sessionKey('sales', 'y'))).toBe(0);
  });

  it('starts a new day at UTC midnight and settles a call on the day it reserved', async () => {
    const beforeMidnight = Date.UTC(2026, 10, 22, 23, 59, 59);
    const { clock, store, budgets } = makeManager(beforeMidnight);
    const budget = { usdPerDay: 0.1 };
    await (await budgets.reserve({ bot: 'support', budget, maxCostUsd: 0.1 })).settle(0.1);
    const late = await budgets.reserve({ bot: 'support', budget, maxCostUsd: 0 });
    await expect(budgets.reserve({ bot: 'support', budget, maxCostUsd: 0.01 })).rejects.toBeInstanceOf(BudgetExceededError);
    clock.t = beforeMidnight + 2_000;
    const today = await budgets.reserve({ bot: 'support', budget, maxCostUsd: 0.05 });
    expect(today.keys).toEqual(['budget:day:support:2026-11-23']);
    expect(late.keys).toEqual(['budget:day:support:2026-11-22']);
    await late.settle(0);
    await today.settle(0.03);
    expect(await store.spent('budget:day:support:2026-11-22')).toBeCloseTo(0.1, 12);
    expect(await store.spent('budget:day:support:2026-11-23')).toBeCloseTo(0.03, 12);
    // Yesterday's key lives on for its grace hour, then goes.
    clock.t = Date.UTC(2026, 10, 23, 1, 0, 1);
    expect(await store.spent('budget:day:support:2026-11-22')).toBe(0);
  });

  it('forgets a session after its TTL of inactivity, and each charge extends it', async () => {
    const { clock, store, budgets } = makeManager();
    const budget = { usdPerSession: 0.02 };
    const key = BudgetManager.sessionKey('support', 's');
    await (await budgets.reserve({ bot: 'support', sessionId: 's', budget, maxCostUsd: 0.01 })).settle(0.01);
    clock.t += 50_000;
    await (await budgets.reserve({ bot: 'support', sessionId: 's', budget, maxCostUsd: 0.01 })).settle(0.01);
    clock.t += 50_000;
    expect(await store.spent(key)).toBeCloseTo(0.02, 12);
    await expect(budgets.reserve({ bot: 'support', sessionId: 's', budget, maxCostUsd: 0.01 })).rejects.toBeInstanceOf(BudgetExceededError);
    clock.t += 10_001;
    expect(await store.spent(key)).toBe(0);
    await budgets.reserve({ bot: 'support', sessionId: 's', budget, maxCostUsd: 0.01 });
  });

  it('settle(null) keeps the reserved maximum; release gives it back; a reservation ends once', async () => {
    const { store, budgets } = makeManager();
    const budget = { usdPerDay: 1 };
    const key = BudgetManager.dayKey('support', NOON);
    const unknown = await budgets.reserve({ bot: 'support', budget, maxCostUsd: 0.3 });
    await unknown.settle(null);
    await unknown.release();
    expect(await store.spent(key)).toBeCloseTo(0.3, 12);
    const failed = await budgets.reserve({ bot: 'support', budget, maxCostUsd: 0.2 });
    expect(await store.spent(key)).toBeCloseTo(0.5, 12);
    await failed.release();
    await failed.settle(0.2);
    expect(await store.spent(key)).toBeCloseTo(0.3, 12);
  });

  it('does not touch the store when no limit applies', async () => {
    const { store, budgets } = makeManager();
    const noLimit = await budgets.reserve({ bot: 'support', budget: {}, maxCostUsd: 5 });
    // A per-session limit without a session cannot apply.
    const noSession = await budgets.reserve({ bot: 'support', budget: { usdPerSession: 0.01 }, maxCostUsd: 5 });
    expect(noLimit.keys).toEqual([]);
    expect(noSession.keys).toEqual([]);
    await noLimit.settle(5);
    expect(store.size).toBe(0);
  });

  it('reports store failures on settle to onStoreError without rejecting', async () => {
    const failures: unknown[] = [];
    const inner = new MemoryBudgetStore();
    const broken: BudgetStore = {
      reserve: (entries, amount) => inner.reserve(entries, amount),
      adjust: () => Promise.reject(new Error('store down')),
      spent: (key) => inner.spent(key),
      close: () => inner.close(),
    };
    const budgets = new BudgetManager({ store: broken, onStoreError: (error) => failures.push(error) });
    const reservation = await budgets.reserve({ bot: 'support', budget: { usdPerDay: 1 }, maxCostUsd: 0.1 });
    await expect(reservation.settle(0.05)).resolves.toBeUndefined();
    expect(failures).toHaveLength(1);
  });

  it('keeps bot and session names with colons apart in keys', () => {
    expect(BudgetManager.sessionKey('a:b', 'c')).not.toBe(BudgetManager.sessionKey('a', 'b:c'));
  });
});

describe('MemoryBudgetStore', () => {
  it('is all-or-nothing across entries', async () => {
    const store = new MemoryBudgetStore();
    const entries = [
      { key: 'a', limitUsd: 1, ttlMs: 60_000 },
      { key: 'b', limitUsd: 0.5, ttlMs: 60_000 },
    ];
    expect(await store.reserve(entries, 0.4)).toBe(true);
    expect(await store.reserve(entries, 0.2)).toBe(false);
    expect(await store.spent('a')).toBeCloseTo(0.4, 12);
    expect(await store.spent('b')).toBeCloseTo(0.4, 12);
  });

  it('never goes below zero and does not credit an expired key', async () => {
    const clock = { t: 0 };
    const store = new MemoryBudgetStore({ now: () => clock.t });
    await store.adjust(['k'], 0.5, 1_000);
    await store.adjust(['k'], -2, 1_000);
    expect(await store.spent('k')).toBe(0);
    await store.adjust(['k'], 0.5, 1_000);
    clock.t = 1_001;
    await store.adjust(['k'], -0.5, 1_000);
    expect(await store.spent('k')).toBe(0);
    expect(store.size).toBe(0);
  });

  it('stays within maxEntries', async () => {
    const store = new MemoryBudgetStore({ maxEntries: 10 });
    for (let i = 0; i < 1_000; i++) await store.adjust([`k${i}`], 0.01, 60_000);
    expect(store.size).toBe(10);
    expect(await store.spent('k999')).toBeCloseTo(0.01, 12);
  });
});

describe('estimateMaxCostUsd', () => {
  it('prices every input token and maxOutputTokens of output, and is null for unpriced models', () => {
    expect(estimateMaxCostUsd({ inputPerMTok: 0.15, outputPerMTok: 0.6 }, 1_000, 500)).toBeCloseTo(0.00045, 12);
    expect(estimateMaxCostUsd(undefined, 1_000, 500)).toBeNull();
    expect(estimateMaxCostUsd(null, 1_000, 500)).toBeNull();
    // A cache-write price above the input price bounds the worst case.
    expect(estimateMaxCostUsd({ inputPerMTok: 3, outputPerMTok: 15, cacheWritePerMTok: 3.75 }, 1_000_000, 0)).toBeCloseTo(3.75, 9);
  });
});
