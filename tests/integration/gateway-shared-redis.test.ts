/**
 * Issue 7's "done when": two gateway instances with one real redis-server behave as one. A session
 * started through one continues through the other, an answer cached by one is a hit on the other, a
 * budget is shared, an item reference to one's /v1/responses answer resolves on the other, and Redis going down mid-run falls back to the provider without failing calls.
 * The client is the official openai SDK; the upstream is the fake OpenAI server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { REDIS_MISSING_MESSAGE, redisAvailable, startRedisServer, type RedisServer } from '../helpers/redis-server.js';

const GATEWAY_KEY = 'gw-shared-redis-key-0123456789';
const describeRedis = redisAvailable() ? describe : describe.skip;
if (!redisAvailable()) console.warn(REDIS_MISSING_MESSAGE);

describeRedis('two gateways sharing one Redis', () => {
  let redis: RedisServer;
  let upstream: FakeOpenAIServer;
  let gateways: Gateway[];
  let clients: OpenAI[];

  beforeAll(async () => {
    redis = await startRedisServer({ password: 'redis-pass-7f3k2m9q' });
    upstream = await FakeOpenAIServer.start();
    const config = {
      telemetry: { logLevel: 'silent' as const },
      providers: { openai: { apiKey: 'sk-upstream-shared-redis-abcdef', baseURL: upstream.baseURL } },
      redis: { url: redis.url },
      sessions: { store: 'redis' as const },
      responseCache: { enabled: true, store: 'redis' as const },
      resilience: { maxRetries: 0 },
      server: { apiKeys: [{ key: GATEWAY_KEY, tenant: 'acme' }] },
      bots: {
        support: { model: 'openai:gpt-4o-mini', system: 'Be brief.' },
        // $0.15 + $0.60 per MTok: a call reserves about $0.0000135 (20 output tokens at most) and settles
        // about $0.000004, so one budget allows two or three calls, and two separate budgets twice that.
        thrifty: { model: 'openai:gpt-4o-mini', params: { maxTokens: 20 }, budget: { usdPerDay: 0.00002 } },
      },
    };
    gateways = [await startGateway({ config, port: 0, host: '127.0.0.1' }), await startGateway({ config, port: 0, host: '127.0.0.1' })];
    clients = gateways.map((gw) => new OpenAI({ apiKey: GATEWAY_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 }));
  }, 20_000);

  afterAll(async () => {
    await Promise.all((gateways ?? []).map((gw) => gw.close()));
    await upstream?.close();
    await redis?.dispose();
  });

  it('continues a session started through one instance on the other', async () => {
    const sessionId = `conv-${Date.now()}`;
    const first = await clients[0].chat.completions.create(
      { model: 'bot:support', messages: [{ role: 'user', content: 'first turn' }] },
      { headers: { 'x-session-id': sessionId } },
    );
    expect(first.choices[0].message.content).toContain('first turn');
    const second = await clients[1].chat.completions.create(
      { model: 'bot:support', messages: [{ role: 'user', content: 'second turn' }] },
      { headers: { 'x-session-id': sessionId } },
    );
    expect(second.choices[0].message.content).toContain('second turn');
    const session = await gateways[1].switchboard.sessions.get(sessionId);
    expect(session).toMatchObject({ id: sessionId, bot: 'support', tenantId: 'acme' });
  });

  it('serves an answer cached by one instance as a hit on the other', async () => {
    const before = upstream.requestCount;
    const prompt = `cache me ${Date.now()}`;
    const a = await clients[0].chat.completions.create({ model: 'bot:support', messages: [{ role: 'user', content: prompt }] });
    const b = await clients[1].chat.completions.create({ model: 'bot:support', messages: [{ role: 'user', content: prompt }] });
    expect(b.choices[0].message.content).toBe(a.choices[0].message.content);
    expect(upstream.requestCount - before).toBe(1);
    expect(gateways[1].switchboard.stats().cacheHits).toBeGreaterThanOrEqual(1);
  });

  it('shares one budget between the instances', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const client = clients[i % 2];
      try {
        await client.chat.completions.create({ model: 'bot:thrifty', messages: [{ role: 'user', content: `spend ${i} ${Date.now()}` }] });
        outcomes.push('ok');
      } catch (error) {
        outcomes.push((error as { status?: number }).status === undefined ? 'error' : `http-${(error as { status: number }).status}`);
      }
    }
    const succeeded = outcomes.filter((o) => o === 'ok').length;
    // One instance alone would allow the same number: together they must not allow more than the one budget.
    expect(succeeded).toBeGreaterThan(0);
    expect(succeeded).toBeLessThanOrEqual(3);
    expect(outcomes.slice(succeeded).every((o) => o.startsWith('http-4'))).toBe(true);
  });

  it('resolves on one instance an item reference to an answer written by the other', async () => {
    const call = { id: 'call_shared_1', name: 'get_weather', arguments: '{"city":"Oslo"}' };
    upstream.script('gpt-4o-mini', { text: 'Checking the sky.', toolCalls: [call] }, { text: 'Clear.' });
    const tools = [{ type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];
    const first = await clients[0].responses.create({ model: 'openai:gpt-4o-mini', input: 'Weather in Oslo?', tools });
    const message = first.output.find((item) => item.type === 'message')!;
    const before = upstream.requestCount;
    const second = await clients[1].responses.create({
      model: 'openai:gpt-4o-mini',
      tools,
      input: [
        { role: 'user', content: 'Weather in Oslo?' },
        { type: 'item_reference', id: message.id },
        { type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.id, output: '{"sky":"clear"}' },
      ],
    });
    expect(second.output_text).toBe('Clear.');
    expect(upstream.requestCount - before).toBe(1);
    expect(JSON.stringify(upstream.requests.at(-1)!.body)).toContain('Checking the sky.');
  });

  it('keeps answering through the provider when Redis goes down mid-run', async () => {
    await redis.stop();
    try {
      for (const client of clients) {
        const answer = await client.chat.completions.create({ model: 'bot:support', messages: [{ role: 'user', content: `while redis is down ${Math.random()}` }] });
        expect(answer.choices[0].message.content).toContain('while redis is down');
      }
    } finally {
      await redis.restart();
    }
  });
});
