/**
 * Rate-limit buckets in Redis, so every instance draws on one allowance per provider. A provider's
 * two buckets are one hash under `<prefix>rl:<provider>` (fields r and t: the levels; at: when they
 * were last refilled). One Lua script refills, checks and charges both at once, on Redis's own clock
 * (TIME), so the instances' clocks do not matter and no two instances can spend the same tokens.
 * The math is MemoryRateLimitStore's: levels capped at one minute's allowance, debt at minus that.
 *
 * Bounded: a bucket refills completely within two minutes of its last change (from the deepest debt),
 * and a full bucket is what an absent key means, so each key expires two minutes after its last write.
 */
import type { Redis } from 'ioredis';
import { checkCharge, type RateLimitCharge, type RateLimitDecision, type RateLimitStore } from '../../resilience/rate-limit-store.js';
import { assertOpen, DEFAULT_KEY_PREFIX, LuaScript, RedisStoreError, runRedis, type RedisStoreOptions } from './redis-client.js';

/** Two minutes: the longest a bucket takes to refill from the deepest debt (-1 minute's allowance). */
const BUCKET_TTL_MS = 120_000;

/**
 * KEYS[1]: the provider's hash. ARGV: mode ('take' | 'adjust'), rpm, tpm (0 = no limit), requests,
 * tokens. Returns {1} when charged, or {0, wait ms, limit name} when a take does not fit (nothing
 * is written then). Numbers go back as strings: Redis turns Lua numbers into integers.
 */
const BUCKETS = new LuaScript(`
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local rpm, tpm = tonumber(ARGV[2]), tonumber(ARGV[3])
local nr, nt = tonumber(ARGV[4]), tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'r', 't', 'at')
local elapsed = now - (tonumber(state[3]) or now)
if elapsed < 0 then elapsed = 0 end
local function level(raw, per)
  if per <= 0 then return 0 end
  local v = tonumber(raw)
  if v == nil then return per end
  v = v + elapsed * per / 60000
  if v > per then v = per end
  return v
end
local function clamp(v, per)
  if v > per then return per end
  if v < -per then return -per end
  return v
end
local r, t = level(state[1], rpm), level(state[2], tpm)
if ARGV[1] == 'take' then
  if tpm > 0 and nt > tpm then nt = tpm end
  local wr, wt = 0, 0
  if rpm > 0 and r < nr then wr = (nr - r) * 60000 / rpm end
  if tpm > 0 and t < nt then wt = (nt - t) * 60000 / tpm end
  if wr > 0 or wt > 0 then
    if wr >= wt then return {0, string.format('%.17g', wr), 'requestsPerMinute'} end
    return {0, string.format('%.17g', wt), 'tokensPerMinute'}
  end
  r, t = r - nr, t - nt
else
  r, t = clamp(r - nr, rpm), clamp(t - nt, tpm)
end
redis.call('HSET', KEYS[1], 'r', string.format('%.17g', r), 't', string.format('%.17g', t), 'at', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], ${BUCKET_TTL_MS})
return {1}
`);

/** RateLimitStore over a shared Redis; atomic per provider, bounded by key TTLs. */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.client = options.client;
    this.prefix = `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}rl:`;
  }

  async take(charge: RateLimitCharge): Promise<RateLimitDecision> {
    const reply = await this.run('take', charge);
    if (!Array.isArray(reply)) throw new RedisStoreError('The rate-limit script gave an unexpected reply');
    if (reply[0] === 1) return { granted: true };
    const waitMs = Number(reply[1]);
    const limit = reply[2] === 'tokensPerMinute' ? 'tokensPerMinute' : 'requestsPerMinute';
    return { granted: false, waitMs: Number.isFinite(waitMs) ? waitMs : 0, limit };
  }

  async adjust(charge: RateLimitCharge): Promise<void> {
    if (charge.requests === 0 && charge.tokens === 0) return;
    await this.run('adjust', charge);
  }

  /** Stop using the client (the buckets stay for the other instances). */
  async close(): Promise<void> {
    this.closed = true;
  }

  private run(mode: 'take' | 'adjust', charge: RateLimitCharge): Promise<unknown> {
    assertOpen(this.closed, 'rate-limit');
    checkCharge(charge);
    const args = [mode, String(charge.limits.requestsPerMinute ?? 0), String(charge.limits.tokensPerMinute ?? 0), String(charge.requests), String(charge.tokens)];
    return runRedis(this.client, `Rate limiting "${charge.provider}" in Redis`, () => BUCKETS.run(this.client, [this.prefix + charge.provider], args));
  }
}
