/**
 * Conversation memory (API.md "Sessions"): three turns through sb.chat and sb.stream put the right
 * history on the wire, in order, for the OpenAI and Anthropic fakes (real SDKs); tool calls and results
 * are remembered; a failed call appends nothing; a resent conversation is not duplicated; history is
 * tenant-scoped, cleared and ended with the session; two switchboards on one real redis-server share it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChatMessage } from '../../src/core/types.js';
import type { Switchboard } from '../../src/switchboard.js';
import { REDIS_MISSING_MESSAGE, redisAvailable, startRedisServer, type RedisServer } from '../helpers/redis-server.js';
import { chaosSwitchboard, drainStream, startChaosServers, type ChaosServers } from '../reliability/helpers.js';

const BOTS = {
  'openai-memory': { model: 'openai:gpt-mem', system: 'You remember.', memory: { maxMessages: 50 } },
  'anthropic-memory': { model: 'anthropic:claude-mem', system: 'You remember.', memory: {} },
  forgetful: { model: 'openai:gpt-mem', system: 'You forget.' },
};

/** The conversation an upstream request carried, as role: text lines (system first). */
function wireOf(servers: ChaosServers, provider: 'openai' | 'anthropic'): string[] {
  const body = servers[provider].requests.at(-1)!.body as { system?: string; messages: Array<{ role: string; content: unknown }> };
  const text = (content: unknown): string =>
    typeof content === 'string' ? content : Array.isArray(content) ? content.map((part: { text?: string }) => part.text ?? '').join('') : '';
  const lines = body.messages.map((message) => `${message.role}: ${text(message.content)}`);
  return provider === 'anthropic' && body.system ? [`system: ${body.system}`, ...lines] : lines;
}

describe('session memory', () => {
  let servers: ChaosServers;
  let sb: Switchboard;

  beforeAll(async () => {
    servers = await startChaosServers();
    sb = await chaosSwitchboard(servers, { bots: BOTS, resilience: { maxRetries: 0 } });
  });
  afterAll(async () => {
    await sb?.close();
    await servers?.close();
  });

  it.each([
    ['openai', 'openai-memory', 'gpt-mem'],
    ['anthropic', 'anthropic-memory', 'claude-mem'],
  ] as const)('%s: three turns (chat, stream, chat) send the history in order', async (provider, bot, model) => {
    const session = await sb.sessions.start({ bot });
    servers[provider].script(model, { text: 'Hello Ada.' }, { text: 'You said your name is Ada.' }, { text: 'Goodbye, Ada.' });
    await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'I am Ada.' }] });
    expect(wireOf(servers, provider)).toEqual(['system: You remember.', 'user: I am Ada.']);
    const streamed = await drainStream(sb.stream({ sessionId: session.id, messages: [{ role: 'user', content: 'Who am I?' }] }));
    expect(streamed.error).toBeUndefined();
    expect(wireOf(servers, provider)).toEqual(['system: You remember.', 'user: I am Ada.', 'assistant: Hello Ada.', 'user: Who am I?']);
    await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'Bye.' }] });
    expect(wireOf(servers, provider)).toEqual([
      'system: You remember.',
      'user: I am Ada.',
      'assistant: Hello Ada.',
      'user: Who am I?',
      'assistant: You said your name is Ada.',
      'user: Bye.',
    ]);
    expect((await sb.sessions.history(session.id)).map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
  });

  it('tool calls and their results are remembered with the answer that called them', async () => {
    const session = await sb.sessions.start({ bot: 'openai-memory' });
    const tools = [{ name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } }];
    servers.openai.script('gpt-mem', { text: '', toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"order 42"}' }] }, { text: 'Order 42 ships today.' });
    const first = await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'Where is order 42?' }], tools });
    expect(first.toolCalls).toHaveLength(1);
    await sb.chat({ sessionId: session.id, messages: [{ role: 'tool', toolCallId: 'call_1', content: '{"status":"ships today"}' }], tools });
    const body = servers.openai.requests.at(-1)!.body as { messages: Array<Record<string, unknown>> };
    expect(body.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(body.messages[2]).toMatchObject({ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', function: { name: 'lookup' } }] });
    const history = await sb.sessions.history(session.id);
    expect(history.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });

  it('a failed call appends nothing; a resent conversation is not duplicated', async () => {
    const session = await sb.sessions.start({ bot: 'openai-memory' });
    servers.openai.script('gpt-mem', { text: 'First answer.' });
    await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'First question.' }] });
    servers.openai.script('gpt-mem', { kind: 'status', status: 500 });
    await expect(sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'Lost question.' }] })).rejects.toMatchObject({ code: 'provider_error' });
    expect(await sb.sessions.history(session.id)).toHaveLength(2);
    // An OpenAI-style client sends the whole conversation again, its own system message included.
    const resent: ChatMessage[] = [
      { role: 'system', content: 'Client system.' },
      { role: 'user', content: 'First question.' },
      { role: 'assistant', content: 'First answer.' },
      { role: 'user', content: 'Second question.' },
    ];
    servers.openai.script('gpt-mem', { text: 'Second answer.' });
    await sb.chat({ sessionId: session.id, messages: resent });
    // The client's own system message goes before the history, once; the history is not repeated.
    expect(wireOf(servers, 'openai')).toEqual(['system: You remember.', 'system: Client system.', 'user: First question.', 'assistant: First answer.', 'user: Second question.']);
    expect((await sb.sessions.history(session.id)).map((message) => message.content)).toEqual(['First question.', 'First answer.', 'Second question.', 'Second answer.']);
  });

  it('history is tenant-scoped, clearable, gone with the session, and empty for a bot without memory', async () => {
    const session = await sb.sessions.start({ bot: 'openai-memory', tenantId: 'acme' });
    servers.openai.script('gpt-mem', { text: 'Noted.' });
    await sb.chat({ sessionId: session.id, tenantId: 'acme', messages: [{ role: 'user', content: 'Remember me.' }] });
    await expect(sb.sessions.history(session.id, { tenantId: 'other' })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await sb.sessions.history(session.id, { tenantId: 'acme' })).toHaveLength(2);
    await sb.sessions.clearHistory(session.id, { tenantId: 'acme' });
    expect(await sb.sessions.history(session.id)).toEqual([]);
    servers.openai.script('gpt-mem', { text: 'Noted again.' });
    await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'Again.' }] });
    await sb.sessions.end(session.id);
    await expect(sb.sessions.history(session.id)).rejects.toMatchObject({ code: 'invalid_request' });
    const plain = await sb.sessions.start({ bot: 'forgetful' });
    servers.openai.script('gpt-mem', { text: 'Forgotten.' });
    await sb.chat({ sessionId: plain.id, messages: [{ role: 'user', content: 'x' }] });
    expect(await sb.sessions.history(plain.id)).toEqual([]);
  });

  it('a 300-token window: each call fits (exact counts for an OpenAI model), the oldest turns go first, the system prompt and newest turn stay', async () => {
    const small = await chaosSwitchboard(servers, {
      models: { 'openai:gpt-4o-mini': { contextWindow: 300, maxOutputTokens: 40 } },
      bots: { tiny: { model: 'openai:gpt-4o-mini', system: 'Short.', memory: {} } },
      resilience: { maxRetries: 0 },
    });
    try {
      const session = await small.sessions.start({ bot: 'tiny' });
      const long = (i: number) => `turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(8)}`;
      for (let i = 0; i < 6; i++) {
        servers.openai.script('gpt-4o-mini', { text: `answer ${i} ${'consectetur adipiscing '.repeat(6)}` });
        await small.chat({ sessionId: session.id, messages: [{ role: 'user', content: long(i) }] });
        const counted = await small.countTokens({ model: 'openai:gpt-4o-mini', messages: (servers.openai.requests.at(-1)!.body as { messages: ChatMessage[] }).messages });
        expect(counted.exact).toBe(true);
        expect(counted.inputTokens).toBeLessThanOrEqual(300 - 40);
        const wire = wireOf(servers, 'openai');
        expect(wire[0]).toBe('system: Short.');
        expect(wire.at(-1)).toBe(`user: ${long(i)}`);
        if (wire.length > 2) expect(wire[1]!.startsWith('user: ')).toBe(true);
      }
      // Trimming dropped whole turns from the front: by the last call, the first turns are gone from the wire but kept in memory.
      expect(wireOf(servers, 'openai').some((line) => line.includes('turn 0:'))).toBe(false);
      expect(await small.sessions.history(session.id)).toHaveLength(12);
    } finally {
      await small.close();
    }
  });

  it('concurrent calls on one session each append their whole turn', async () => {
    const session = await sb.sessions.start({ bot: 'openai-memory' });
    const asks = Array.from({ length: 6 }, (_, i) => {
      servers.openai.script('gpt-mem', { text: `answer ${i}`, delayMs: 5 * (6 - i) });
      return sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: `question ${i}` }] });
    });
    await Promise.all(asks);
    const history = await sb.sessions.history(session.id);
    expect(history).toHaveLength(12);
    // Turns never interleave: each question is followed by an answer.
    for (let i = 0; i < history.length; i += 2) {
      expect(history[i]!.role).toBe('user');
      expect(history[i + 1]!.role).toBe('assistant');
    }
  });
});

const describeRedis = redisAvailable() ? describe : describe.skip;
if (!redisAvailable()) console.warn(REDIS_MISSING_MESSAGE);

describeRedis('session memory shared over Redis', () => {
  let servers: ChaosServers;
  let redis: RedisServer;
  let one: Switchboard;
  let two: Switchboard;

  beforeAll(async () => {
    [servers, redis] = await Promise.all([startChaosServers(), startRedisServer()]);
    const shared = { bots: BOTS, redis: { url: redis.url, keyPrefix: 'mem-test:' }, sessions: { store: 'redis' as const } };
    [one, two] = await Promise.all([chaosSwitchboard(servers, shared), chaosSwitchboard(servers, shared)]);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await servers?.close();
    await redis?.stop();
  });

  it('a conversation started on one instance continues with its memory on the other', async () => {
    const session = await one.sessions.start({ bot: 'openai-memory' });
    servers.openai.script('gpt-mem', { text: 'Hi from one.' }, { text: 'Hi from two.' });
    await one.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'Turn one.' }] });
    await two.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'Turn two.' }] });
    expect(wireOf(servers, 'openai')).toEqual(['system: You remember.', 'user: Turn one.', 'assistant: Hi from one.', 'user: Turn two.']);
    expect(await one.sessions.history(session.id)).toEqual(await two.sessions.history(session.id));
    expect(await one.sessions.history(session.id)).toHaveLength(4);
    await two.sessions.end(session.id);
    // The history keys went with the session.
    const start = await one.sessions.start({ bot: 'openai-memory', id: session.id });
    expect(await one.sessions.history(start.id)).toEqual([]);
  });
});
