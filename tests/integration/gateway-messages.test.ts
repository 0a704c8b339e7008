/**
 * `POST /v1/messages` and `/v1/messages/count_tokens` end to end, in front of a FakeProvider: the
 * JSON message (thinking, text, tool_use, usage, switchboard headers), the exact event order of a
 * stream with thinking (each block ended by its signature, redacted blocks in place), text and tool
 * calls (and @anthropic-ai/sdk accumulating it), a failure after
 * the first delta as an `error` event (never a silent end), errors in Anthropic's shape with the
 * status its SDK maps and the `request-id` header (auth-hook failures included, other routes keeping
 * OpenAI's), the gateway key as `x-api-key` or Bearer, sessions, and token counts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY = 'gw-messages-Kd52Wn18Pq';
const OTHER_KEY = 'gw-messages-other-Ys40Bm';
const CALLS = [
  { id: 'toolu_a', name: 'lookup', arguments: '{"q":"a"}' },
  { id: 'toolu_b', name: 'lookup', arguments: '{"q":"b"}' },
];
const TOOLS = [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }];
const RICH = { reasoning: [{ text: 'Two lookups.', signature: 'sig-9' }], chunks: ['Let me ', 'check.'], toolCalls: CALLS, finishReason: 'tool-calls' as const, usage: { inputTokens: 30, outputTokens: 12, cacheReadTokens: 8, cacheWriteTokens: 2 } };

type Json = Record<string, unknown>;

/** Anthropic's SSE events as `[event, data]` pairs. */
function events(text: string): Array<[string, Json]> {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(frame)?.[1] ?? 'null';
      return [event, JSON.parse(data) as Json];
    });
}

describe('gateway /v1/messages', () => {
  const fake = new FakeProvider();
  let gw: Gateway;
  let client: Anthropic;

  const post = async (body: unknown, headers: Record<string, string> = { 'x-api-key': KEY }, path = '/v1/messages') => {
    const response = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const ask = (extra: Json = {}) => ({ model: 'fake:m', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }], ...extra });

  beforeAll(async () => {
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        bots: { helper: { model: 'fake:bot-model', system: 'You help with lookups.' } },
        providers: { openai: { apiKey: 'sk-messages-not-called-Vb31' } },
        server: { apiKeys: [{ key: KEY, tenant: 't1' }, { key: OTHER_KEY, tenant: 't2' }], bodyLimitBytes: 65_536 },
      },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
    client = new Anthropic({ apiKey: KEY, baseURL: gw.url, maxRetries: 0, openTelemetry: false });
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => fake.reset());

  it('answers JSON: thinking, text and tool_use blocks, Anthropic usage, the switchboard headers and request-id', async () => {
    fake.reply('fake:m', RICH);
    const { status, headers, text } = await post(ask({ tools: TOOLS }));
    expect(status).toBe(200);
    const message = JSON.parse(text) as Json;
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'fake:m',
      content: [
        { type: 'thinking', thinking: 'Two lookups.', signature: 'sig-9' },
        { type: 'text', text: 'Let me check.', citations: null },
        { type: 'tool_use', id: 'toolu_a', name: 'lookup', input: { q: 'a' } },
        { type: 'tool_use', id: 'toolu_b', name: 'lookup', input: { q: 'b' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      // Anthropic's input_tokens leave out cache reads and writes.
      usage: { input_tokens: 20, output_tokens: 12, cache_read_input_tokens: 8, cache_creation_input_tokens: 2 },
      x_switchboard: { model: 'fake:m', attempts: 1, finish_reason: 'tool-calls' },
    });
    expect(message.id).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(headers.get('request-id')).toMatch(/^req_/);
    expect(headers.get('x-switchboard-model')).toBe('fake:m');
    expect(headers.get('x-switchboard-attempts')).toBe('1');
  });

  it.each([
    ['length', 'max_tokens'],
    ['content-filter', 'refusal'],
    ['stop', 'end_turn'],
  ] as const)('reports finish reason %s as stop_reason %s', async (finishReason, stopReason) => {
    fake.reply('fake:m', { text: 'cut', finishReason });
    expect(JSON.parse((await post(ask())).text)).toMatchObject({ stop_reason: stopReason, content: [{ type: 'text', text: 'cut' }] });
  });

  it('streams Anthropic\'s event sequence: message_start, one block at a time with its index, message_delta with usage, message_stop', async () => {
    fake.reply('fake:m', RICH);
    const { status, headers, text } = await post(ask({ tools: TOOLS, stream: true }));
    expect([status, headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
    expect(headers.get('request-id')).toMatch(/^req_/);
    const all = events(text);
    for (const [event, data] of all) expect(data.type).toBe(event);
    const shape = all.map(([event, data]) => {
      const delta = data.delta as Json | undefined;
      if (event === 'content_block_start') return [event, data.index, (data.content_block as Json).type];
      if (event === 'content_block_delta') return [event, data.index, delta!.type, delta!.text ?? delta!.thinking ?? delta!.partial_json ?? delta!.signature];
      if (event === 'content_block_stop') return [event, data.index];
      return [event];
    });
    expect(shape).toEqual([
      ['message_start'],
      ['content_block_start', 0, 'thinking'],
      ['content_block_delta', 0, 'thinking_delta', 'Two lookups.'],
      // Anthropic's order: the signature ends its thinking block, just before the block stops.
      ['content_block_delta', 0, 'signature_delta', 'sig-9'],
      ['content_block_stop', 0],
      ['content_block_start', 1, 'text'],
      ['content_block_delta', 1, 'text_delta', 'Let me '],
      ['content_block_delta', 1, 'text_delta', 'check.'],
      ['content_block_stop', 1],
      ['content_block_start', 2, 'tool_use'],
      ['content_block_delta', 2, 'input_json_delta', '{"q":'],
      ['content_block_delta', 2, 'input_json_delta', '"a"}'],
      ['content_block_stop', 2],
      ['content_block_start', 3, 'tool_use'],
      ['content_block_delta', 3, 'input_json_delta', '{"q":'],
      ['content_block_delta', 3, 'input_json_delta', '"b"}'],
      ['content_block_stop', 3],
      ['message_delta'],
      ['message_stop'],
    ]);
    expect(all[0]![1].message).toMatchObject({ type: 'message', role: 'assistant', model: 'fake:m', content: [], stop_reason: null });
    expect(all[9]![1].content_block).toEqual({ type: 'tool_use', id: 'toolu_a', name: 'lookup', input: {} });
    expect(all.at(-2)![1]).toMatchObject({ delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 20, output_tokens: 12, cache_read_input_tokens: 8, cache_creation_input_tokens: 2 } });
  });

  it('ends each signed thinking block with its signature_delta, a redacted block in its place, and the SDK accumulates the same message', async () => {
    const reply = { reasoning: [{ text: 'First.', signature: 'sig-a' }, { text: '', redacted: 'ENC==' }, { text: 'Second.', signature: 'sig-b' }], chunks: ['Done.'] };
    fake.reply('fake:m', reply);
    const all = events((await post(ask({ stream: true }))).text);
    const blocks = all.filter(([event]) => event.startsWith('content_block')).map(([event, data]) => {
      const delta = data.delta as Json | undefined;
      if (event === 'content_block_start') return [event, data.index, (data.content_block as Json).type, (data.content_block as Json).data];
      if (event === 'content_block_delta') return [event, data.index, delta!.type, delta!.text ?? delta!.thinking ?? delta!.signature];
      return [event, data.index];
    });
    expect(blocks).toEqual([
      ['content_block_start', 0, 'thinking', undefined],
      ['content_block_delta', 0, 'thinking_delta', 'First.'],
      ['content_block_delta', 0, 'signature_delta', 'sig-a'],
      ['content_block_stop', 0],
      ['content_block_start', 1, 'redacted_thinking', 'ENC=='],
      ['content_block_stop', 1],
      ['content_block_start', 2, 'thinking', undefined],
      ['content_block_delta', 2, 'thinking_delta', 'Second.'],
      ['content_block_delta', 2, 'signature_delta', 'sig-b'],
      ['content_block_stop', 2],
      ['content_block_start', 3, 'text', undefined],
      ['content_block_delta', 3, 'text_delta', 'Done.'],
      ['content_block_stop', 3],
    ]);
    fake.reply('fake:m', reply);
    fake.reply('fake:m', reply);
    const params = { model: 'fake:m', max_tokens: 256, messages: [{ role: 'user' as const, content: 'hi' }] };
    const json = await client.messages.create(params);
    expect(json.content).toEqual([
      { type: 'thinking', thinking: 'First.', signature: 'sig-a' },
      { type: 'redacted_thinking', data: 'ENC==' },
      { type: 'thinking', thinking: 'Second.', signature: 'sig-b' },
      { type: 'text', text: 'Done.', citations: null },
    ]);
    expect((await client.messages.stream(params).finalMessage()).content).toEqual(json.content);
  });

  it('is accumulated by the SDK\'s MessageStream into the same message as the JSON answer', async () => {
    fake.reply('fake:m', RICH);
    fake.reply('fake:m', RICH);
    const params = { model: 'fake:m', max_tokens: 256, messages: [{ role: 'user' as const, content: 'hi' }], tools: TOOLS as Anthropic.Tool[] };
    const json = await client.messages.create(params);
    const streamed = await client.messages.stream(params).finalMessage();
    expect(streamed.content).toEqual(json.content);
    expect([streamed.stop_reason, streamed.usage]).toEqual([json.stop_reason, expect.objectContaining({ input_tokens: 20, output_tokens: 12 })]);
  });

  it('turns a failure after the first delta into an error event, never message_stop', async () => {
    fake.fail('fake:m', { interruptAfterChunks: 1, reply: { chunks: ['Hel', 'lo'] } });
    const all = events((await post(ask({ stream: true }))).text);
    expect(all.map(([event]) => event)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'error']);
    expect(all.at(-1)![1]).toEqual({ type: 'error', error: { type: 'api_error', message: expect.stringMatching(/ended|interrupted/i) } });
    fake.fail('fake:m', { interruptAfterChunks: 1, reply: { chunks: ['Hel', 'lo'] } });
    await expect(client.messages.stream(ask() as Anthropic.MessageCreateParams).finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
  });

  it('answers a failure before the first delta with an HTTP error in Anthropic\'s shape', async () => {
    fake.fail('fake:limited', { status: 429, headers: { 'retry-after': '3' } });
    const { status, headers, text } = await post(ask({ model: 'fake:limited', stream: true }));
    expect([status, headers.get('retry-after')]).toEqual([429, '3']);
    expect(JSON.parse(text)).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.any(String) }, request_id: headers.get('request-id') });
  });

  it.each([
    ['400 invalid_request_error', () => ask({ max_tokens: undefined }), {}, 400, 'invalid_request_error'],
    ['401 authentication_error (no key)', () => ask(), { 'x-api-key': '' }, 401, 'authentication_error'],
    ['401 authentication_error (wrong key)', () => ask(), { 'x-api-key': 'gw-wrong-Qa11' }, 401, 'authentication_error'],
    ['404 not_found_error', () => ask({ model: 'bot:nobody' }), {}, 404, 'not_found_error'],
    ['413 request_too_large', () => ask({ system: 'x'.repeat(70_000) }), {}, 413, 'request_too_large'],
    ['502 api_error (upstream 500)', () => ask({ model: 'fake:broken' }), {}, 502, 'api_error'],
  ] as const)('answers %s with Anthropic\'s error body and request-id', async (_name, body, headers, status, type) => {
    fake.fail('fake:broken', { status: 500 });
    const answer = await post(body(), { 'x-api-key': KEY, ...headers });
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.text)).toEqual({ type: 'error', error: { type, message: expect.any(String) }, request_id: answer.headers.get('request-id') });
    expect(answer.text).not.toContain('gw-wrong-Qa11');
  });

  it('answers a session of another tenant with 403 permission_error', async () => {
    expect((await post(ask({ model: 'bot:helper' }), { 'x-api-key': KEY, 'x-session-id': 'sess-t1-owned' })).status).toBe(200);
    const answer = await post(ask({ model: 'bot:helper' }), { 'x-api-key': OTHER_KEY, 'x-session-id': 'sess-t1-owned' });
    expect([answer.status, (JSON.parse(answer.text) as { error: Json }).error.type]).toEqual([403, 'permission_error']);
  });

  it('keeps OpenAI\'s error shape on the other routes', async () => {
    const answer = await post({ model: 'fake:m', messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': 'gw-wrong-Qa11' }, '/v1/chat/completions');
    expect([answer.status, JSON.parse(answer.text)]).toEqual([401, { error: expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_api_key' }) }]);
  });

  it.each([
    ['x-api-key', { 'x-api-key': KEY }, 200],
    ['Bearer', { authorization: `Bearer ${KEY}` }, 200],
    ['both, the same key', { authorization: `Bearer ${KEY}`, 'x-api-key': KEY }, 200],
    ['both, different keys', { authorization: `Bearer ${KEY}`, 'x-api-key': OTHER_KEY }, 401],
  ] as const)('takes the gateway key as %s', async (_name, headers, status) => {
    expect((await post(ask(), headers)).status).toBe(status);
  });

  it('takes x-api-key on the OpenAI routes too', async () => {
    expect((await post({ model: 'fake:m', messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': KEY }, '/v1/chat/completions')).status).toBe(200);
    expect((await fetch(`${gw.url}/v1/models`, { headers: { 'x-api-key': KEY } })).status).toBe(200);
  });

  it('names a bot session by metadata.user_id or X-Session-Id, with the bot\'s system prompt first', async () => {
    const answer = await post(ask({ model: 'bot:helper', metadata: { user_id: 'end-user-12' } }));
    expect([answer.status, answer.headers.get('x-session-id')]).toEqual([200, 'end-user-12']);
    expect(await gw.switchboard.sessions.get('end-user-12')).toMatchObject({ bot: 'helper', userId: 'end-user-12', tenantId: 't1' });
    expect(fake.calls[0]!.messages[0]).toEqual({ role: 'system', content: 'You help with lookups.' });
    expect((await post(ask({ model: 'bot:helper' }), { 'x-api-key': KEY, 'x-session-id': 'sess-header-1' })).headers.get('x-session-id')).toBe('sess-header-1');
  });

  describe('count_tokens', () => {
    const count = (body: Json, headers: Record<string, string> = { 'x-api-key': KEY }) => post(body, headers, '/v1/messages/count_tokens');
    const messages = [{ role: 'user', content: 'How many tokens are in this question?' }];

    it('counts for a model, exactly where its tokenizer is known', async () => {
      const answer = await count({ model: 'openai:gpt-4o-mini', system: 'Be brief.', messages, tools: TOOLS });
      const direct = await gw.switchboard.countTokens({ model: 'openai:gpt-4o-mini', messages: [{ role: 'system', content: 'Be brief.' }, messages[0] as { role: 'user'; content: string }], tools: [{ name: 'lookup', parameters: TOOLS[0]!.input_schema }] });
      expect([answer.status, JSON.parse(answer.text), answer.headers.get('x-switchboard-token-count')]).toEqual([200, { input_tokens: direct.inputTokens }, 'exact']);
      expect(answer.headers.get('request-id')).toMatch(/^req_/);
    });

    it('counts a bot\'s request on its primary model, its system prompt included (an estimate here)', async () => {
      const answer = await count({ model: 'bot:helper', messages });
      const direct = await gw.switchboard.countTokens({ model: 'fake:bot-model', messages: [{ role: 'system', content: 'You help with lookups.' }, messages[0] as { role: 'user'; content: string }] });
      expect([JSON.parse(answer.text), answer.headers.get('x-switchboard-token-count')]).toEqual([{ input_tokens: direct.inputTokens }, 'estimate']);
      expect(direct.inputTokens).toBeGreaterThan((await gw.switchboard.countTokens({ model: 'fake:bot-model', messages: messages as Array<{ role: 'user'; content: string }> })).inputTokens);
    });

    it('refuses X-Session-Id (a session\'s history is not counted), an unknown model and a wrong key, in Anthropic\'s shape', async () => {
      const session = await count({ model: 'bot:helper', messages }, { 'x-api-key': KEY, 'x-session-id': 'sess-1' });
      expect([session.status, (JSON.parse(session.text) as { error: Json }).error]).toEqual([400, { type: 'invalid_request_error', message: expect.stringContaining('X-Session-Id') }]);
      expect(await gw.switchboard.sessions.get('sess-1')).toBeUndefined();
      const unknown = await count({ model: 'bot:nobody', messages });
      expect([unknown.status, (JSON.parse(unknown.text) as { error: Json }).error.type]).toEqual([404, 'not_found_error']);
      const wrong = await count({ model: 'fake:m', messages }, { 'x-api-key': 'gw-wrong-Qa11' });
      expect([wrong.status, (JSON.parse(wrong.text) as { error: Json }).error.type]).toEqual([401, 'authentication_error']);
    });
  });
});
