/**
 * Deployment cooldowns in Redis, so every instance skips a deployment another one saw answer 429,
 * 5xx or fail to connect. One key per cooling deployment, `<prefix>dc:<provider>/<deployment>`, with
 * the cooldown as its expiry (PX): an expired key is a deployment back in rotation, so the key set is
 * bounded by the configured deployments and cleans itself. A write never shortens a longer cooldown.
 */
import type { Redis } from 'ioredis';
import type { DeploymentCooldownStore } from '../../routing/cooldown-store.js';
import { assertOpen, DEFAULT_KEY_PREFIX, LuaScript, RedisStoreError, runRedis, type RedisStoreOptions } from './redis-client.js';

/** KEYS[1]: the deployment's key. ARGV[1]: ms. Extends the expiry, never shortens it. */
const COOL = new LuaScript(`
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 1
`);

/** KEYS: deployment keys. Returns each key's PTTL (negative: absent, i.e. not cooling). */
const LEFT = new LuaScript(`
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('PTTL', key) end
return out
`);

/** DeploymentCooldownStore over a shared Redis. */
export class RedisDeploymentCooldownStore implements DeploymentCooldownStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.client = options.client;
    this.prefix = `${options.keyPrefix ?? DEFAULT_KEY_PREFIX}dc:`;
  }

  async coolDown(key: string, ms: number): Promise<void> {
    assertOpen(this.closed, 'deployment cooldown');
    const whole = Math.ceil(ms);
    if (!Number.isFinite(whole) || whole <= 0) return;
    await runRedis(this.client, 'Cooling a deployment in Redis', () => COOL.run(this.client, [this.prefix + key], [String(whole)]));
  }

  async remaining(keys: readonly string[]): Promise<number[]> {
    assertOpen(this.closed, 'deployment cooldown');
    if (keys.length === 0) return [];
    const reply = await runRedis(this.client, 'Reading deployment cooldowns in Redis', () => LEFT.run(this.client, keys.map((key) => this.prefix + key), []));
    if (!Array.isArray(reply)) throw new RedisStoreError('The deployment cooldown script gave an unexpected reply');
    return reply.map((value) => (typeof value === 'number' && value > 0 ? value : 0));
  }

  /** Stop using the client (the cooldowns stay for the other instances). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
