/**
 * RELIABILITY.md row "secret scan with canary keys": with canary credentials in config (OpenAI and
 * Anthropic keys, a gateway key, the password of a real Redis inside `redis.url`), run successes,
 * cache hits, failures (a 401 echoing a masked key, upstream messages quoting the whole key, 5xx,
 * resets, malformed bodies, timeouts, interrupted streams, Redis going down) and bad configs through
 * createSwitchboard; then search everything that leaves the library: span names, attributes, events
 * and status; metric attributes and values; every log line and console line; every error's message,
 * JSON and cause chain; events; stats; every response-cache key and value, read in the store itself.
 * Figure: 0 occurrences of any canary, nor of any 8-character piece of one.
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { LRUCache } from 'lru-cache';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { ConfigError } from '../../src/core/errors.js';
import type { Switchboard } from '../../src/switchboard.js';
import type { FakeStep } from '../helpers/fake-provider.js';
import { redisAvailable, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { exposedText, leakedPieces } from '../helpers/secret-scan.js';
import { makeHarness, type Harness } from '../unit/telemetry/otel-harness.js';
import { chaosSwitchboard, drainStream, providersFor, startChaosServers, type ChaosServers } from './helpers.js';

/** Random letters and digits: no 8-character piece of them turns up anywhere by chance. */
function randomToken(length: number): string {
  return randomBytes(length * 2).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, length);
}

const CANARIES = {
  openai: `sk-proj-${randomToken(48)}`,
  openaiWrong: `sk-proj-${randomToken(48)}`,
  anthropic: `sk-ant-api03-${randomToken(48)}`,
  gateway: `gw_${randomToken(32)}`,
  redisPassword: randomToken(24),
};

/** Every way a value can be shown: inspect (own fields, causes), JSON, and an error's exposed text. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  let json = '';
  try {
    json = JSON.stringify(value) ?? '';
  } catch {
    json = '';
  }
  const errorText = value instanceof Error ? exposedText(value) : '';
  return [inspect(value, { depth: 16, breakLength: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity }), json, errorText].join('\n');
}

/** Everything the run exposed, labelled by where it came from. */
class Exposure {
  readonly items: Array<{ where: string; text: string }> = [];

  add(where: string, value: unknown): void {
    this.items.push({ where, text: render(value) });
  }

  count(prefix: string): number {
    return this.items.filter((item) => item.where.startsWith(prefix)).length;
  }

  /** Canary pieces found, by place. */
  leaks(): Array<{ where: string; canary: string; pieces: string[] }> {
    const found: Array<{ where: string; canary: string; pieces: string[] }> = [];
    for (const item of this.items) {
      for (const [name, secret] of Object.entries(CANARIES)) {
        const pieces = leakedPieces(item.text, secret);
        if (pieces.length) found.push({ where: item.where, canary: name, pieces });
      }
    }
    return found;
  }
}

/** Faults played on their own model each (so no circuit opens between them), with maxRetries 1. */
const FAULTS: Array<[string, 'openai' | 'anthropic', FakeStep<never>]> = [
  ['500', 'openai', { kind: 'status', status: 500 }],
  ['503 retry-after 3600', 'openai', { kind: 'status', status: 503, headers: { 'retry-after': '3600' } }],
  ['401 quoting the key masked', 'openai', { kind: 'status', status: 401, message: `Incorrect API key provided: ${CANARIES.openai.slice(0, 8)}${'*'.repeat(20)}${CANARIES.openai.slice(-4)}.` }],
  ['400 quoting the whole key', 'openai', { kind: 'status', status: 400, message: `Invalid authorization header: Bearer ${CANARIES.openai}` }],
  ['quota 429 quoting the key', 'openai', { kind: 'status', status: 429, code: 'insufficient_quota', message: `Quota exceeded for key ${CANARIES.openai}` }],
  ['reset before headers', 'openai', { kind: 'reset-before-headers' }],
  ['reset after headers', 'openai', { kind: 'reset-after-headers' }],
  ['malformed', 'openai', { kind: 'malformed' }],
  ['keep-alive only (timeout)', 'openai', { kind: 'keep-alive-only', intervalMs: 50 }],
  ['529', 'anthropic', { kind: 'status', status: 529 }],
  ['400 quoting the key', 'anthropic', { kind: 'status', status: 400, message: `x-api-key header is invalid: ${CANARIES.anthropic}` }],
  ['keep-alive only (timeout)', 'anthropic', { kind: 'keep-alive-only', intervalMs: 50 }],
  ['stream dies after a delta', 'anthropic', { text: 'half an answer here', dieAfterChunks: 2, dieMode: 'error-event' }],
];

describe('reliability: secret scan', () => {
  let servers: ChaosServers;
  let harness: Harness;
  let redis: RedisServer | undefined;
  let sb: Switchboard;
  let wrongKey: Switchboard;
  const exposure = new Exposure();
  const consoleLines: string[] = [];
  const restoreConsole: Array<() => void> = [];

  beforeAll(async () => {
    // Anything printed to the console by the library or the SDKs counts as exposed too.
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => void consoleLines.push(args.map(render).join(' '));
      restoreConsole.push(() => (console[method] = original));
    }
    servers = await startChaosServers({ openai: CANARIES.openai, anthropic: CANARIES.anthropic });
    const faultModels = new Map(FAULTS.map(([name, provider, step], i) => [`${provider === 'openai' ? 'gpt' : 'claude'}-fault-${i}`, { name, step }]));
    const responder = (_request: unknown, model: string) => faultModels.get(model)?.step;
    servers.openai.respondWith(responder);
    servers.anthropic.respondWith(responder);
    // A real Redis that wants the canary password, so the URL's secret is used, not just held.
    redis = redisAvailable() ? await startRedisServer({ password: CANARIES.redisPassword }) : undefined;
    harness = makeHarness();
    const common = {
      bots: { scan: { model: 'openai:gpt-scan', fallbacks: ['anthropic:claude-scan'], system: 'Be brief.', budget: { usdPerDay: 100 } } },
      models: { 'openai:gpt-scan': { pricing: { inputPerMTok: 1, outputPerMTok: 2 } }, 'anthropic:claude-scan': { pricing: { inputPerMTok: 1, outputPerMTok: 2 } } },
      responseCache: { enabled: true, store: redis ? ('redis' as const) : ('memory' as const) },
      sessions: { store: redis ? ('redis' as const) : ('memory' as const) },
      server: { apiKeys: [{ key: CANARIES.gateway, tenant: 'acme' }] },
      redis: { url: redis?.url ?? '' },
      telemetry: { logLevel: 'debug' as const },
      resilience: { maxRetries: 1, timeoutMs: 500, firstChunkTimeoutMs: 200, idleChunkTimeoutMs: 200 },
    };
    const options = { tracerProvider: harness.tracerProvider, meterProvider: harness.meterProvider, logger: harness.logger };
    sb = await chaosSwitchboard(servers, { ...common, providers: providersFor(servers, { openai: CANARIES.openai, anthropic: CANARIES.anthropic }) }, options);
    // Same servers, but this switchboard's OpenAI key is wrong: the fake answers the real 401 quoting it masked.
    wrongKey = await chaosSwitchboard(servers, { ...common, providers: providersFor(servers, { openai: CANARIES.openaiWrong, anthropic: CANARIES.anthropic }) }, options);
    for (const name of ['call.finished', 'call.failed', 'retry', 'fallback', 'cache.hit'] as const) {
      sb.events.on(name, (event) => exposure.add(`event ${name}`, event));
    }
  });

  afterAll(async () => {
    for (const restore of restoreConsole.splice(0)) restore();
    await sb?.close();
    await wrongKey?.close();
    await servers?.close();
    await harness?.shutdown();
    await redis?.dispose();
  });

  /** Run a call; its result or error is exposed. */
  async function run(where: string, call: () => Promise<unknown>): Promise<void> {
    try {
      exposure.add(`${where}: result`, await call());
    } catch (error) {
      exposure.add(`${where}: error`, error);
    }
  }

  async function stream(where: string, target: Switchboard, request: Parameters<Switchboard['stream']>[0]): Promise<void> {
    const outcome = await drainStream(target.stream(request));
    exposure.add(`${where}: stream`, { deltas: outcome.deltas, result: outcome.result });
    if (outcome.error) exposure.add(`${where}: error`, outcome.error);
  }

  /** Every key and value under the switchboard's prefix, whatever the Redis type. */
  async function redisContents(): Promise<Array<{ key: string; value: unknown }>> {
    const client = new Redis(redis!.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      const out: Array<{ key: string; value: unknown }> = [];
      for (const key of await client.keys('*')) {
        const type = await client.type(key);
        const value =
          type === 'string' ? await client.get(key)
          : type === 'hash' ? await client.hgetall(key)
          : type === 'zset' ? await client.zrange(key, '0', '-1', 'WITHSCORES')
          : type === 'list' ? await client.lrange(key, 0, -1)
          : type === 'set' ? await client.smembers(key)
          : `(${type})`;
        out.push({ key, value });
      }
      return out;
    } finally {
      client.disconnect();
    }
  }

  it('secret scan with canary keys: 0 occurrences (nor any 8-character piece) in spans, metrics, logs, errors, events, cache', async () => {
    const user = (content: string) => [{ role: 'user' as const, content }];
    // Successes, twice each so the second is a cache hit; a session with a tenant.
    for (let round = 0; round < 2; round++) {
      await run('chat', () => sb.chat({ bot: 'scan', messages: user('hello there') }));
      await stream('stream', sb, { bot: 'scan', messages: user('stream to me') });
      await run('generate', () => sb.generate({ model: 'anthropic:claude-scan', prompt: 'a prompt' }));
    }
    const session = await sb.sessions.start({ bot: 'scan', tenantId: 'acme', userId: 'u-1' });
    await run('session chat', () => sb.chat({ sessionId: session.id, messages: user('from a session') }));

    // Every fault on a model target (no fallback), as a complete answer and as a stream.
    for (const [i, [name, provider]] of FAULTS.entries()) {
      const model = `${provider}:${provider === 'openai' ? 'gpt' : 'claude'}-fault-${i}`;
      await run(`fault ${name} on ${provider}`, () => sb.chat({ model, messages: user('fail please') }));
      await stream(`stream fault ${name} on ${provider}`, sb, { model, messages: user('fail please') });
    }
    // A primary failure that falls back; the wrong key's real 401; bad input.
    servers.openai.script('gpt-scan', { kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    await run('fallback', () => sb.chat({ bot: 'scan', messages: user('fall back please') }));
    await run('wrong key chat', () => wrongKey.chat({ model: 'openai:gpt-scan', messages: user('let me in') }));
    await stream('wrong key stream', wrongKey, { model: 'openai:gpt-scan', messages: user('let me in') });
    await run('unknown bot', () => sb.chat({ bot: 'nope', messages: user('x') }));

    // Bad configs that hold the canaries in the wrong places.
    const badConfigs: Array<[string, Record<string, unknown>]> = [
      ['credentials in a baseURL', { providers: { openai: { baseURL: `https://user:${CANARIES.openai}@api.example.com/v1` } } }],
      ['misspelt apiKey', { providers: { openai: { apikey: CANARIES.openai } } }],
      ['gateway keys as a string', { server: { apiKeys: CANARIES.gateway } }],
      ['duplicate gateway keys', { server: { apiKeys: [{ key: CANARIES.gateway, tenant: 'a' }, { key: CANARIES.gateway, tenant: 'b' }] } }],
      ['redis URL with the wrong scheme', { redis: { url: `http://:${CANARIES.redisPassword}@127.0.0.1:6379` } }],
      ['a key pasted as a bot model', { bots: { b: { model: CANARIES.anthropic } } }],
      ['a key under an unknown provider', { providers: { openia: { apiKey: CANARIES.openai } } }],
    ];
    let configErrors = 0;
    for (const [name, config] of badConfigs) {
      try {
        const built = await createSwitchboard({ env: {}, config, logger: harness.logger });
        await built.close();
        exposure.add(`bad config ${name}: accepted`, 'accepted');
      } catch (error) {
        if (error instanceof ConfigError) configErrors++;
        exposure.add(`bad config ${name}: error`, error);
      }
    }
    expect(configErrors).toBe(badConfigs.length);

    // The stores, read directly: Redis keys and values (or the memory store behind the cache).
    let cacheEntries = 0;
    if (redis) {
      const contents = await redisContents();
      cacheEntries = contents.filter((entry) => entry.key.includes('rc:')).length;
      for (const entry of contents) exposure.add(`cache/store ${entry.key}`, entry);
      // Redis goes away: the failures that follow are logged and must not show its password.
      await redis.stop();
      await run('chat with Redis down', () => sb.chat({ bot: 'scan', messages: user('is the cache there?') }));
      await run('generate with Redis down', () => sb.generate({ model: 'openai:gpt-scan', prompt: 'no cache now' }));
      // Back up, so both switchboards reconnect and close politely (a client left reconnecting holds timers).
      await redis.restart();
      for (const target of [sb, wrongKey]) {
        for (let tries = 0; tries < 60; tries++) {
          const started = await target.sessions.start({ bot: 'scan' }).then(() => true, () => false);
          if (started) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } else {
      // White box: the memory store's LRU behind the response cache.
      const lru = (sb as unknown as { services: { responseCache?: { store: { lru: LRUCache<string, object> } } } }).services.responseCache?.store.lru;
      for (const [key, value] of lru?.entries() ?? []) {
        cacheEntries++;
        exposure.add('cache/store memory', { key, value });
      }
    }

    // Everything that left the library.
    for (const span of harness.finished()) {
      exposure.add(`span ${span.name}`, {
        name: span.name,
        attributes: span.attributes,
        events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
        status: span.status,
        links: span.links,
        resource: span.resource.attributes,
      });
    }
    const metrics = await harness.allMetrics();
    for (const metric of metrics) exposure.add(`metric ${metric.descriptor.name}`, { descriptor: metric.descriptor, points: metric.dataPoints });
    for (const line of harness.logger.lines) exposure.add(`log ${line.message}`, line);
    for (const line of consoleLines) exposure.add('console', line);
    exposure.add('stats', sb.stats());
    exposure.add('providers', sb.registry.listProviders());

    const leaks = exposure.leaks();
    for (const restore of restoreConsole.splice(0)) restore();
    console.log(
      `secret scan: ${exposure.items.length} exposures searched: ${exposure.count('span')} spans, ${exposure.count('metric')} metrics ` +
        `(${metrics.reduce((n, m) => n + m.dataPoints.length, 0)} points), ${exposure.count('log')} log lines, ${exposure.count('console')} console lines, ` +
        `${exposure.items.filter((item) => item.where.endsWith(': error')).length} errors, ${exposure.count('event')} events, ` +
        `${exposure.count('cache/store')} store entries (${cacheEntries} cached answers, ${redis ? 'Redis' : 'memory'}); leaks: ${leaks.length}`,
    );
    expect(leaks).toEqual([]);

    // The scan can fail: the canaries did go upstream, where the same search finds them.
    const upstream = render([...servers.openai.requests, ...servers.anthropic.requests].map((request) => request.headers));
    expect(leakedPieces(upstream, CANARIES.openai).length).toBeGreaterThan(0);
    expect(leakedPieces(upstream, CANARIES.openaiWrong).length).toBeGreaterThan(0);
    expect(leakedPieces(upstream, CANARIES.anthropic).length).toBeGreaterThan(0);
    // And the run covered what it claims.
    expect(exposure.count('span')).toBeGreaterThan(30);
    expect(metrics.length).toBeGreaterThan(3);
    expect(cacheEntries).toBeGreaterThan(0);
    expect(exposure.items.filter((item) => item.where.endsWith(': error')).length).toBeGreaterThanOrEqual(2 * FAULTS.length);
  });
});
