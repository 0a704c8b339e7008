/**
 * Budget spend in Redis, shared by every instance. Each key holds the USD spent as a decimal string
 * under `<prefix>budget:...` with a Redis expiry. `reserve` is one Lua script: Redis runs a script
 * without interleaving any other command, so the check of every key and the charge of every key
 * happen as one step and concurrent instances cannot overspend. The scripts mirror MemoryBudgetStore
 * exactly: all-or-nothing reserve, spend rounded to 1e-12 USD, never below 0, a write extends a key's
 * expiry but never shortens it, and giving back to an absent (expired) key is ignored.
 *
 * All keys of one call go to one Redis node: this needs a single Redis (or primary), not Cluster.
 */
import type { Redis } from 'ioredis';
import { InvalidRequestError } from '../../core/errors.js';
import type { BudgetEntry, BudgetStore } from '../../resilience/budget.js';
import { assertOpen, DEFAULT_KEY_PREFIX, LuaScript, runRedis, type RedisStoreOptions } from './redis-client.js';

/** Shared by both scripts: rounding as in budget.ts and "add with expiry that only grows". */
const LUA_HELPERS = `
local function round(v) return math.floor(v * 1e12 + 0.5) / 1e12 end
local function add(key, usd, delta, ttl)
  if usd == 0 and delta <= 0 then return end
  local v = round(usd + delta)
  if v < 0 then v = 0 end
  local left = redis.call('PTTL', key)
  if left < ttl then left = ttl end
  redis.call('SET', key, string.format('%.17g', v), 'PX', left)
end
`;

/** KEYS: budget keys. ARGV: amount, then limit and ttl of each key. Returns 1 when charged, 0 when any key is full. */
const RESERVE = new LuaScript(`${LUA_HELPERS}
local amount = tonumber(ARGV[1])
local spent = {}
for i, key in ipairs(KEYS) do
  spent[i] = tonumber(redis.call('GET', key) or '0')
  if round(spent[i] + amount) > tonumber(ARGV[2 * i]) then return 0 end
end
for i, key in ipairs(KEYS) do add(key, spent[i], amount, tonumber(ARGV[2 * i + 1])) end
return 1
`);

/** KEYS: budget keys. ARGV: delta, ttl. */
const ADJUST = new LuaScript(`${LUA_HELPERS}
local delta = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do add(key, tonumber(redis.call('GET', key) or '0'), delta, ttl) end
return 1
`);

function finite(value: number, what: string): string {
  if (!Number.isFinite(value)) throw new InvalidRequestError(`A budget ${what} must be a finite number (got ${String(value)})`);
  // String() gives the shortest text that parses back to the same double, in JS and in Lua.
  return String(value);
}

/** PX wants whole positive ms. */
function ttlArg(ttlMs: number): string {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new InvalidRequestError(`A budget key's ttlMs must be a positive number (got ${String(ttlMs)})`);
  return String(Math.ceil(ttlMs));
}

/** BudgetStore over a shared Redis: atomic across instances, bounded by key TTLs. */
export class RedisBudgetStore implements BudgetStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.client = options.client;
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  }

  /** The Redis key: under `budget:` (BudgetManager's keys already start with it and are used as they are). */
  redisKey(key: string): string {
    if (key === '') throw new InvalidRequestError('A budget key must not be empty');
    return this.prefix + (key.startsWith('budget:') ? key : `budget:${key}`);
  }

  async reserve(entries: BudgetEntry[], amountUsd: number): Promise<boolean> {
    assertOpen(this.closed, 'budget');
    if (entries.length === 0) return true;
    const args = [finite(amountUsd, 'amount')];
    for (const entry of entries) args.push(finite(entry.limitUsd, `limit for "${entry.key}"`), ttlArg(entry.ttlMs));
    const keys = entries.map((entry) => this.redisKey(entry.key));
    const charged = await runRedis(this.client, 'Reserving budget in Redis', () => RESERVE.run(this.client, keys, args));
    return charged === 1;
  }

  async adjust(keys: string[], deltaUsd: number, ttlMs: number): Promise<void> {
    assertOpen(this.closed, 'budget');
    if (keys.length === 0) return;
    const args = [finite(deltaUsd, 'adjustment'), ttlArg(ttlMs)];
    const redisKeys = keys.map((key) => this.redisKey(key));
    await runRedis(this.client, 'Adjusting budget spend in Redis', () => ADJUST.run(this.client, redisKeys, args));
  }

  async spent(key: string): Promise<number> {
    assertOpen(this.closed, 'budget');
    const redisKey = this.redisKey(key);
    const raw = await runRedis(this.client, 'Reading budget spend from Redis', () => this.client.get(redisKey));
    const usd = raw === null ? 0 : Number(raw);
    return Number.isFinite(usd) ? usd : 0;
  }

  /** Stop using the client (spend stays in Redis for the other instances). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
