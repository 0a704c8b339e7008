/**
 * Session histories in Redis, so a conversation's memory follows it to any instance: one list per
 * session under `<prefix>hist:<id>` (each item a message as JSON) and its byte total under
 * `<prefix>hist-bytes:<id>`. One Lua script appends a turn, drops the oldest items beyond
 * `maxMessages` and `maxBytes`, and expires both keys when the session does: concurrent appends from
 * any number of instances each land whole, in the order Redis runs them.
 */
import type { Redis } from 'ioredis';
import type { ChatMessage } from '../../core/messages.js';
import type { HistoryLimits, HistoryStore } from '../../sessions/history-store.js';
import { assertOpen, DEFAULT_KEY_PREFIX, LuaScript, RedisStoreError, runRedis, type RedisStoreOptions } from './redis-client.js';

// KEYS: list, bytes. ARGV: maxMessages, maxBytes, expiresAt (epoch ms), then the items.
const APPEND = new LuaScript(`
local bytes = tonumber(redis.call('GET', KEYS[2]) or '0')
for i = 4, #ARGV do
  redis.call('RPUSH', KEYS[1], ARGV[i])
  bytes = bytes + string.len(ARGV[i])
end
local maxMessages, maxBytes = tonumber(ARGV[1]), tonumber(ARGV[2])
local count = redis.call('LLEN', KEYS[1])
while count > 0 and (count > maxMessages or bytes > maxBytes) do
  local dropped = redis.call('LPOP', KEYS[1])
  bytes = bytes - string.len(dropped)
  count = count - 1
end
if count == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
redis.call('SET', KEYS[2], bytes)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('PEXPIREAT', KEYS[2], ARGV[3])
return count
`);

/** HistoryStore over a shared Redis; bounded per session by the script, in time by key expiry. */
export class RedisHistoryStore implements HistoryStore {
  private readonly client: Redis;
  private readonly prefix: string;
  private closed = false;

  constructor(options: RedisStoreOptions) {
    this.client = options.client;
    this.prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  }

  async load(sessionId: string): Promise<ChatMessage[]> {
    assertOpen(this.closed, 'history');
    const items = await runRedis(this.client, 'Reading a session history from Redis', () => this.client.lrange(this.listKey(sessionId), 0, -1));
    return items.map((item) => {
      try {
        return JSON.parse(item) as ChatMessage;
      } catch {
        throw new RedisStoreError(`Redis key "${this.listKey(sessionId)}" does not hold a session history; is another application using redis.keyPrefix?`);
      }
    });
  }

  async append(sessionId: string, messages: readonly ChatMessage[], limits: HistoryLimits): Promise<void> {
    assertOpen(this.closed, 'history');
    if (messages.length === 0) return;
    const items = messages.map((message) => JSON.stringify(message));
    await runRedis(this.client, 'Appending to a session history in Redis', () =>
      APPEND.run(this.client, [this.listKey(sessionId), this.bytesKey(sessionId)], [limits.maxMessages, limits.maxBytes, Math.ceil(limits.expiresAt), ...items]),
    );
  }

  async clear(sessionId: string): Promise<void> {
    assertOpen(this.closed, 'history');
    await runRedis(this.client, 'Clearing a session history in Redis', () => this.client.del(this.listKey(sessionId), this.bytesKey(sessionId)));
  }

  /** Stop using the client (the histories stay for the other instances). */
  async close(): Promise<void> {
    this.closed = true;
  }

  private listKey(sessionId: string): string {
    return `${this.prefix}hist:${sessionId}`;
  }

  private bytesKey(sessionId: string): string {
    return `${this.prefix}hist-bytes:${sessionId}`;
  }
}
