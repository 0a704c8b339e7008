/**
 * Where per-tenant spend is counted (`sb.spend()`): one bucket per tenant per UTC day holding USD,
 * input and output tokens and calls. Day buckets keep the store bounded in time (older days are
 * dropped, or expire in Redis); the memory store is also bounded in tenants (least recently charged
 * dropped first). RedisSpendStore (src/stores/redis/redis-spend-store.ts) is the shared form.
 */
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../core/errors.js';

/** Figures of one day (or a sum of days). */
export interface SpendTotals {
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  calls: number;
}

/** Where spend is counted; `day` is a UTC date `YYYY-MM-DD`. */
export interface SpendStore {
  /** Add `delta` to the tenant's bucket of `day`; the bucket lives `retentionMs` from now. */
  add(tenant: string, day: string, delta: SpendTotals, retentionMs: number): Promise<void>;
  /** The sum of the tenant's buckets of these days (absent days count 0). */
  sum(tenant: string, days: readonly string[]): Promise<SpendTotals>;
  close(): Promise<void>;
}

/** No spend. */
export function emptyTotals(): SpendTotals {
  return { costUsd: 0, inputTokens: 0, outputTokens: 0, calls: 0 };
}

/** Sums of many small costs drift in binary floating point; 1e-12 USD is far below any price. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

/** Options of the memory store. */
export interface MemorySpendStoreOptions {
  /** Most tenants kept (config `spend.maxTenants`); default 10000. */
  maxTenants?: number;
  /** Most day buckets kept per tenant (config `spend.retentionDays`); default 400. */
  maxDays?: number;
}

/**
 * The single-process store: an LRU of tenants, each a map of at most `maxDays` day buckets (the
 * oldest day dropped first). Memory: about maxTenants x maxDays small records at the worst.
 */
export class MemorySpendStore implements SpendStore {
  private readonly tenants: LRUCache<string, Map<string, SpendTotals>>;
  private readonly maxDays: number;

  constructor(options: MemorySpendStoreOptions = {}) {
    const maxTenants = options.maxTenants ?? 10_000;
    this.maxDays = options.maxDays ?? 400;
    for (const [key, value] of [['spend.maxTenants', maxTenants], ['spend.retentionDays', this.maxDays]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ConfigError([{ key, message: `must be a whole number of at least 1 (got ${String(value)})` }]);
    }
    this.tenants = new LRUCache({ max: maxTenants });
  }

  async add(tenant: string, day: string, delta: SpendTotals): Promise<void> {
    let days = this.tenants.get(tenant);
    if (!days) {
      days = new Map();
      this.tenants.set(tenant, days);
    }
    const bucket = days.get(day) ?? emptyTotals();
    addInto(bucket, delta);
    bucket.costUsd = roundUsd(bucket.costUsd);
    days.set(day, bucket);
    if (days.size > this.maxDays) {
      // Dates sort as strings: drop the oldest until the bound holds.
      const sorted = [...days.keys()].sort();
      for (const old of sorted.slice(0, days.size - this.maxDays)) days.delete(old);
    }
  }

  async sum(tenant: string, days: readonly string[]): Promise<SpendTotals> {
    const held = this.tenants.peek(tenant);
    const out = emptyTotals();
    if (!held) return out;
    for (const day of days) {
      const bucket = held.get(day);
      if (bucket) addInto(out, bucket);
    }
    out.costUsd = roundUsd(out.costUsd);
    return out;
  }

  /** Tenants held now. */
  get size(): number {
    return this.tenants.size;
  }

  async close(): Promise<void> {
    this.tenants.clear();
  }
}

/** Add `from` into `into`. */
export function addInto(into: SpendTotals, from: SpendTotals): void {
  into.costUsd += from.costUsd;
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.calls += from.calls;
}
