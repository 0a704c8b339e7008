/**
 * What the gateway refuses in a rich request, and how: a 400 in OpenAI's error shape whose `param`
 * is OpenAI's path of the field (`messages[2].tool_call_id`, `tools[0].function.parameters`), with
 * `unsupported_parameter` for what OpenAI defines but the gateway does not honour and
 * `unknown_parameter` for anything else; values that ask for nothing (`n: 1`, `store: false`) pass.
 * Nothing refused reaches the provider. `/v1/completions` refuses the chat-only fields by name.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY = 'gw-refuse-Wb47Nc28Qz61Xa';
const USER = { role: 'user', content: 'hi' };
const TOOL = { type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } };
const CALL = { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } };

describe('gateway refusals of rich requests', () => {
  const fake = new FakeProvider();
  // A provider whose wire carries no tools and no images: such requests never reach it.
  const plain = new FakeProvider({ provider: 'plain', supports: { tools: false, vision: false } });
  let gw: Gateway;
  const post = async (path: string, body: Record<string, unknown>) => {
    const response = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { error?: { code: string | null; param: string | null; message: string; type: string } } };
  };
  const chat = (fields: Record<string, unknown>) => post('/v1/chat/completions', { model: 'fake:m', messages: [USER], ...fields });

  beforeAll(async () => {
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        bots: { agent: { model: 'fake:m', tools: [{ name: 'lookup', parameters: { type: 'object', properties: {} } }] } },
        server: { apiKeys: [{ key: KEY, tenant: 'refuse' }] },
      },
      env: { NODE_ENV: 'test' },
      managers: [fake, plain],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => {
    fake.reset();
    plain.reset();
  });

  it.each([
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['top_logprobs', { top_logprobs: 3 }],
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['audio', { audio: { voice: 'alloy', format: 'mp3' } }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['prediction', { prediction: { type: 'content', content: 'x' } }],
    ['web_search_options', { web_search_options: {} }],
    ['functions', { functions: [{ name: 'lookup', parameters: { type: 'object' } }] }],
    ['function_call', { function_call: 'auto' }],
    ['service_tier', { service_tier: 'flex' }],
    ['store', { store: true }],
    ['metadata', { metadata: { tag: 'a' } }],
    ['verbosity', { verbosity: 'low' }],
    ['safety_identifier', { safety_identifier: 'u-1' }],
    ['prompt_cache_key', { prompt_cache_key: 'k' }],
    ['stream_options.include_obfuscation', { stream: true, stream_options: { include_obfuscation: true } }],
    ['messages[0].name', { messages: [{ role: 'user', content: 'hi', name: 'alice' }] }],
    ['messages[0].role', { messages: [{ role: 'function', name: 'lookup', content: '{}' }] }],
    ['messages[0].content[0]', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }],
    ['messages[0].content[1].image_url.detail', { messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } }] }] }],
    ['messages[1].function_call', { messages: [USER, { role: 'assistant', content: null, function_call: { name: 'lookup', arguments: '{}' } }] }],
    ['tools[0].type', { tools: [{ type: 'custom', custom: { name: 'grammar' } }] }],
    ['tool_choice', { tools: [TOOL], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } }],
  ])('refuses %s with 400 unsupported_parameter naming it', async (param, fields) => {
    const answer = await chat(fields);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_parameter', param });
    expect(fake.calls).toHaveLength(0);
  });

  it.each([
    ['base_url', { base_url: 'http://127.0.0.1:1/v1' }],
    ['top_k', { top_k: 40 }],
    ['messages[0].cache_control', { messages: [{ role: 'user', content: 'hi', cache_control: { type: 'ephemeral' } }] }],
    ['tools[0].function.examples', { tools: [{ type: 'function', function: { ...TOOL.function, examples: [] } }] }],
    ['stream_options', { stream: true, stream_options: { include_usage: true, chunk_size: 3 } }],
  ])('refuses the unknown field %s with 400 unknown_parameter', async (param, fields) => {
    const answer = await chat(fields);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'unknown_parameter', param });
    expect(fake.calls).toHaveLength(0);
  });

  it.each([
    ['messages[2].tool_call_id', { tools: [TOOL], messages: [USER, { role: 'assistant', content: null, tool_calls: [CALL] }, { role: 'tool', tool_call_id: 'call_other', content: '{}' }] }],
    ['messages[1].tool_calls[0].function.arguments', { messages: [USER, { role: 'assistant', content: null, tool_calls: [{ ...CALL, function: { name: 'lookup', arguments: { q: 'x' } } }] }] }],
    ['messages[1].tool_calls[0].id', { messages: [USER, { role: 'assistant', content: null, tool_calls: [{ ...CALL, id: '' }] }] }],
    ['messages[2].name', { tools: [TOOL], messages: [USER, { role: 'assistant', content: null, tool_calls: [CALL] }, { role: 'tool', tool_call_id: 'call_1', name: 'other', content: '{}' }] }],
    ['messages[0].content[1].image_url.url', { messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] }] }],
    ['tools[0].function.parameters', { tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: 7 } } }] }],
    ['tools[0].function.name', { tools: [{ type: 'function', function: { name: 'has spaces', parameters: { type: 'object' } } }] }],
    ['tool_choice.function.name', { tools: [TOOL], tool_choice: { type: 'function', function: { name: 'missing' } } }],
    ['response_format.json_schema.schema', { response_format: { type: 'json_schema', json_schema: { name: 'x' } } }],
    ['response_format.json_schema.name', { response_format: { type: 'json_schema', json_schema: { name: 'bad name', schema: { type: 'object' } } } }],
    ['reasoning_effort', { reasoning_effort: 'max' }],
    ['max_tokens', { max_tokens: 10, max_completion_tokens: 20 }],
    ['parallel_tool_calls', { tools: [TOOL], parallel_tool_calls: 'yes' }],
  ])('names %s in a 400 for a bad value', async (param, fields) => {
    const answer = await chat(fields);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(fake.calls).toHaveLength(0);
  });

  it('lets values that ask for nothing pass, and LangChain-style tool results named after their call', async () => {
    const answer = await chat({
      n: 1, logprobs: false, top_logprobs: 0, logit_bias: {}, modalities: ['text'], store: false, metadata: {}, service_tier: 'auto', functions: [], max_tokens: 9, max_completion_tokens: 9,
      tools: [TOOL],
      messages: [USER, { role: 'assistant', content: '', tool_calls: [CALL], refusal: null, annotations: [] }, { role: 'tool', tool_call_id: 'call_1', name: 'lookup', content: '{"hit":true}' }],
    });
    expect(answer.status).toBe(200);
    expect(fake.calls[0]!.messages[1]).toEqual({ role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] });
    expect(fake.calls[0]!.params.maxTokens).toBe(9);
  });

  it('a model whose provider cannot carry tools or images is a 400 that names the capability, before any call', async () => {
    for (const [capability, fields] of [
      ['tools', { tools: [TOOL] }],
      ['vision', { messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] }],
    ] as const) {
      const answer = await post('/v1/chat/completions', { model: 'plain:m', messages: [USER], ...fields });
      expect([answer.status, answer.body.error?.type]).toEqual([400, 'invalid_request_error']);
      expect(answer.body.error?.message).toContain(capability);
    }
    expect(plain.calls).toHaveLength(0);
    // tool_choice "none" needs no tools capability: the model may not call any.
    expect((await post('/v1/chat/completions', { model: 'plain:m', messages: [USER], tools: [TOOL], tool_choice: 'none' })).status).toBe(200);
  });

  it('/v1/completions refuses the chat-only fields by name, and a bot that offers tools', async () => {
    for (const [param, fields] of [
      ['tools', { tools: [TOOL] }],
      ['response_format', { response_format: { type: 'json_object' } }],
      ['reasoning_effort', { reasoning_effort: 'low' }],
      ['messages', { messages: [USER] }],
      ['n', { n: 3 }],
    ] as const) {
      const answer = await post('/v1/completions', { model: 'fake:m', prompt: 'x', ...fields });
      expect([param, answer.status, answer.body.error?.code, answer.body.error?.param]).toEqual([param, 400, 'unsupported_parameter', param]);
    }
    const bot = await post('/v1/completions', { model: 'bot:agent', prompt: 'x' });
    expect(bot.body.error).toMatchObject({ code: 'unsupported_parameter', param: 'model' });
    expect(fake.calls).toHaveLength(0);
    expect((await post('/v1/completions', { model: 'fake:m', prompt: 'x' })).status).toBe(200);
  });
});
