/**
 * Per-tenant spend in Redis, shared by every instance: one hash per tenant per UTC day under
 * `<prefix>spend:<tenant>:<YYYY-MM-DD>` with the fields `usd`, `in`, `out` and `calls`, expiring
 * `spend.retentionDays` after its last write. One Lua script adds a call's figures and renews the
 * expiry as one step; reads fetch the days asked for in one pipeline.
 */
import type { Redis } from 'ioredis';
import { emptyTotals, roundUsd, type SpendStore, type SpendTotals } from '../../tenants/spend-store.js';
import { assertOpen, DEFAULT_KEY_PREFIX, LuaScript, runRedis, type RedisStoreOptions } from './redis-client.js';

/** KEYS[1]: the day's hash. ARGV: usd, input tokens, output tokens, calls, ttl ms. */
const ADD = new LuaScript(`
redis.call('HINCRBYFLOAT', KEYS[1], 'usd', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'in', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'out', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'calls', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`);

/** A whole number >= 0 for HINCRBY (token counts are whole; anything else counts 0). */
function count(value: number): string {
  return String(Number.isFinite(value) && value > 0 ? Math.round(value) : 0);
}

function numberOf(raw: string | undefined): number {
  const value = raw === undefined ? 0 : Number(raw);
  return Number.isFinite(value) ? value : 0;
}

/** SpendStore over a shared Redis; bounded by key expiry. */
export class RedisSpendStore implements SpendStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.client = options.client;
    this.prefix = `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}spend:`;
  }

  /** The Redis key of a tenant's day (the id encoded: it may hold ':'). */
  redisKey(tenant: string, day: string): string {
    return `${this.prefix}${encodeURIComponent(tenant)}:${day}`;
  }

  async add(tenant: string, day: string, delta: SpendTotals, retentionMs: number): Promise<void> {
    assertOpen(this.closed, 'spend');
    const usd = Number.isFinite(delta.costUsd) && delta.costUsd > 0 ? String(roundUsd(delta.costUsd)) : '0';
    const args = [usd, count(delta.inputTokens), count(delta.outputTokens), count(delta.calls), String(Math.max(1, Math.ceil(retentionMs)))];
    await runRedis(this.client, 'Recording tenant spend in Redis', () => ADD.run(this.client, [this.redisKey(tenant, day)], args));
  }

  async sum(tenant: string, days: readonly string[]): Promise<SpendTotals> {
    assertOpen(this.closed, 'spend');
    const out = emptyTotals();
    if (days.length === 0) return out;
    const pipeline = this.client.pipeline();
    for (const day of days) pipeline.hgetall(this.redisKey(tenant, day));
    const replies = await runRedis(this.client, 'Reading tenant spend from Redis', async () => (await pipeline.exec()) ?? []);
    for (const [error, value] of replies) {
      if (error) throw error;
      const hash = (value ?? {}) as Record<string, string>;
      out.costUsd += numberOf(hash.usd);
      out.inputTokens += numberOf(hash.in);
      out.outputTokens += numberOf(hash.out);
      out.calls += numberOf(hash.calls);
    }
    out.costUsd = roundUsd(out.costUsd);
    return out;
  }

  /** Stop using the client (spend stays in Redis for the other instances). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
