/**
 * The gateway's rich messages through the official `openai` SDK (and raw SSE where the chunk shapes
 * matter), against the testing FakeProvider: tool calls and their results (JSON and streamed, in
 * OpenAI's chunk format), reasoning (`reasoning_content`, signed `reasoning_details` both ways), image
 * parts, structured output (valid, and invalid: a 502 or an error event, never `[DONE]`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY = 'gw-rich-Tq81Vx26Lm93Pd';
const WEATHER: OpenAI.ChatCompletionFunctionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const CALLS = [
  { id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}' },
  { id: 'call_w2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
];
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
const SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };

/** The `data:` payloads of an SSE answer, in order (`[DONE]` as the string). */
async function sseEvents(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .map((frame) => frame.replace(/^data: /, '').trim())
    .filter((data) => data !== '')
    .map((data) => (data === '[DONE]' ? data : (JSON.parse(data) as unknown)));
}

describe('gateway rich messages (FakeProvider)', () => {
  const fake = new FakeProvider();
  let gw: Gateway;
  let client: OpenAI;
  const post = (body: unknown) =>
    fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    gw = await startGateway({
      config: { resilience: { maxRetries: 0 }, server: { apiKeys: [{ key: KEY, tenant: 'rich' }] } },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
    client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw.close();
  });
  beforeEach(() => fake.reset());

  it('answers tool calls in OpenAI shape and carries tools, tool_choice and parallel_tool_calls', async () => {
    fake.reply('fake:m', { text: '', toolCalls: CALLS });
    const answer = await client.chat.completions.create({ model: 'fake:m', messages: [{ role: 'user', content: 'Paris and Oslo?' }], tools: [WEATHER], tool_choice: 'required', parallel_tool_calls: true });
    expect(answer.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: null,
        tool_calls: CALLS.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
      },
    });
    expect(fake.calls[0]!.rich).toEqual({ tools: [{ name: 'get_weather', description: 'The weather in a city', parameters: WEATHER.function.parameters }], toolChoice: 'required', parallelToolCalls: true });
  });

  it('sends a tool follow-up (assistant tool_calls with content null, tool results) as rich messages', async () => {
    fake.reply('fake:m', { text: 'Sunny in Paris, rain in Oslo.' });
    const answer = await client.chat.completions.create({
      model: 'fake:m',
      tools: [WEATHER],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: 'Paris and Oslo?' },
        { role: 'assistant', content: null, tool_calls: CALLS.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) },
        { role: 'tool', tool_call_id: 'call_w1', content: '{"sky":"sunny"}' },
        { role: 'tool', tool_call_id: 'call_w2', content: [{ type: 'text', text: '{"sky":"rain"}' }] },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe('Sunny in Paris, rain in Oslo.');
    expect(fake.calls[0]!.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Paris and Oslo?' },
      { role: 'assistant', content: null, toolCalls: CALLS },
      { role: 'tool', toolCallId: 'call_w1', content: '{"sky":"sunny"}' },
      { role: 'tool', toolCallId: 'call_w2', content: '{"sky":"rain"}' },
    ]);
    expect(fake.calls[0]!.rich.toolChoice).toEqual({ name: 'get_weather' });
  });

  it('streams tool calls in OpenAI chunk format: id and name first, then argument fragments, then finish_reason tool_calls', async () => {
    fake.reply('fake:m', { text: 'Checking.', chunks: ['Check', 'ing.'], toolCalls: CALLS, usage: { inputTokens: 5, outputTokens: 7 } });
    const response = await post({ model: 'fake:m', stream: true, stream_options: { include_usage: true }, tools: [WEATHER], messages: [{ role: 'user', content: 'Paris and Oslo?' }] });
    const events = await sseEvents(response);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as Array<{ choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage: unknown }>;
    const deltas = chunks.filter((chunk) => chunk.choices.length > 0).map((chunk) => chunk.choices[0]!.delta);
    expect(deltas[0]).toEqual({ role: 'assistant', content: '' });
    expect(deltas.slice(1, 3)).toEqual([{ content: 'Check' }, { content: 'ing.' }]);
    const toolDeltas = deltas.filter((delta) => delta.tool_calls).map((delta) => (delta.tool_calls as unknown[])[0]);
    expect(toolDeltas).toEqual([
      { index: 0, id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
      { index: 1, id: 'call_w2', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 1, function: { arguments: '{"city":' } },
      { index: 1, function: { arguments: '"Oslo"}' } },
    ]);
    const withFinish = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(withFinish.map((chunk) => chunk.choices[0]!.finish_reason)).toEqual(['tool_calls']);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 7 } });

    // The SDK's own stream helper assembles the same calls.
    fake.reply('fake:m', { text: '', toolCalls: CALLS });
    const final = await client.chat.completions.stream({ model: 'fake:m', tools: [WEATHER], messages: [{ role: 'user', content: 'again' }] }).finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(final.choices[0]!.message.tool_calls!.map((call) => call.type === 'function' && [call.id, call.function.name, call.function.arguments])).toEqual(CALLS.map((call) => [call.id, call.name, call.arguments]));
  });

  it('returns reasoning as reasoning_content, and signed reasoning as reasoning_details, which come back on the follow-up', async () => {
    fake.reply('fake:m', { text: 'It is 4.', reasoning: '2 and 2 make 4.' });
    const plain = await client.chat.completions.create({ model: 'fake:m', reasoning_effort: 'high', messages: [{ role: 'user', content: '2+2?' }] });
    expect(plain.choices[0]!.message).toMatchObject({ content: 'It is 4.', reasoning_content: '2 and 2 make 4.' });
    expect(plain.choices[0]!.message).not.toHaveProperty('reasoning_details');
    expect(fake.calls[0]!.params.reasoning).toEqual({ effort: 'high' });

    const signed = [{ text: 'Need the weather.', signature: 'sig-abc' }];
    fake.reply('fake:m', { text: '', reasoning: signed, toolCalls: [CALLS[0]!] }).reply('fake:m', { text: 'Sunny.' });
    const first = await client.chat.completions.create({ model: 'fake:m', tools: [WEATHER], messages: [{ role: 'user', content: 'Paris?' }] });
    const message = first.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_details?: unknown };
    expect(message.reasoning_details).toEqual([{ type: 'reasoning.text', text: 'Need the weather.', signature: 'sig-abc', index: 0 }]);
    // The SDK user's usual loop: append the assistant message as returned, then the tool result.
    await client.chat.completions.create({
      model: 'fake:m',
      tools: [WEATHER],
      messages: [{ role: 'user', content: 'Paris?' }, message as OpenAI.ChatCompletionMessageParam, { role: 'tool', tool_call_id: 'call_w1', content: '{"sky":"sunny"}' }],
    });
    expect(fake.calls[2]!.messages[1]).toEqual({ role: 'assistant', content: null, toolCalls: [CALLS[0]], reasoning: signed });

    fake.reply('fake:m', { text: 'ok', reasoning: signed });
    const events = await sseEvents(await post({ model: 'fake:m', stream: true, messages: [{ role: 'user', content: 'x' }] }));
    const deltas = (events.slice(0, -1) as Array<{ choices: Array<{ delta: Record<string, unknown> }> }>).map((chunk) => chunk.choices[0]!.delta);
    expect(deltas).toContainEqual({ reasoning_content: 'Need the weather.' });
    expect(deltas.at(-1)).toEqual({ reasoning_details: [{ type: 'reasoning.text', text: 'Need the weather.', signature: 'sig-abc', index: 0 }] });
  });

  it('carries image_url parts (https and data: URLs) and text parts beside them', async () => {
    await client.chat.completions.create({
      model: 'fake:m',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'auto' } }, { type: 'image_url', image_url: { url: PNG } }] }],
    });
    expect(fake.calls[0]!.messages[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', url: 'https://example.com/cat.png' }, { type: 'image', url: PNG }] });
  });

  it('structured output: json_schema is carried and the content is the JSON text', async () => {
    fake.reply('fake:m', { text: '{"city":"Paris"}' });
    const answer = await client.chat.completions.create({
      model: 'fake:m',
      messages: [{ role: 'user', content: 'Where?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'place', description: 'Where it is', schema: SCHEMA, strict: true } },
    });
    expect(JSON.parse(answer.choices[0]!.message.content!)).toEqual({ city: 'Paris' });
    expect(fake.calls[0]!.rich.responseFormat).toEqual({ type: 'json_schema', name: 'place', strict: true, schema: { ...SCHEMA, description: 'Where it is' } });
    fake.reply('fake:m', { text: '{"any":1}' });
    await client.chat.completions.create({ model: 'fake:m', messages: [{ role: 'user', content: 'JSON please' }], response_format: { type: 'json_object' } });
    expect(fake.calls[1]!.rich.responseFormat).toEqual({ type: 'json' });
  });

  it('an answer that does not validate is a 502 invalid_output as JSON, and an error event (no [DONE]) when streamed', async () => {
    const format = { type: 'json_schema', json_schema: { name: 'place', schema: SCHEMA } } as const;
    fake.reply('fake:m', { text: '{"town":"Paris"}' });
    const failed = await client.chat.completions.create({ model: 'fake:m', messages: [{ role: 'user', content: 'Where?' }], response_format: format }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failed).toMatchObject({ status: 502, code: 'invalid_output' });

    fake.reply('fake:m', { text: '{"town":"Paris"}', chunks: ['{"town":', '"Paris"}'] });
    const events = await sseEvents(await post({ model: 'fake:m', stream: true, messages: [{ role: 'user', content: 'Where?' }], response_format: format }));
    expect(events).not.toContain('[DONE]');
    expect(events.at(-1)).toMatchObject({ error: { type: 'api_error', code: 'invalid_output' } });
    // The SDK raises it from the iterator rather than ending quietly.
    fake.reply('fake:m', { text: '{"town":"Paris"}', chunks: ['{"town":', '"Paris"}'] });
    const stream = await client.chat.completions.create({ model: 'fake:m', stream: true, messages: [{ role: 'user', content: 'Where?' }], response_format: format });
    const read = async () => {
      for await (const _chunk of stream) void _chunk;
    };
    await expect(read()).rejects.toThrow(/does not match/);
  });
});

describe('gateway rich messages from the response cache', () => {
  const fake = new FakeProvider();
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway({
      config: { resilience: { maxRetries: 0 }, responseCache: { enabled: true }, server: { apiKeys: [{ key: KEY, tenant: 'rich' }] } },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('a cached answer streams its reasoning and tool calls too, not just its text', async () => {
    fake.reply('fake:m', { text: 'Let me look.', reasoning: 'Weather needs a lookup.', toolCalls: [CALLS[0]!] });
    const body = { model: 'fake:m', tools: [WEATHER], messages: [{ role: 'user', content: 'Paris, cached?' }] };
    const post = (stream: boolean) =>
      fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream }) });
    expect(((await (await post(false)).json()) as { choices: Array<{ message: { tool_calls: unknown[] } }> }).choices[0]!.message.tool_calls).toHaveLength(1);
    const events = await sseEvents(await post(true));
    expect(fake.calls).toHaveLength(1);
    const chunks = events.slice(0, -1) as Array<{ choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; x_switchboard?: { cached: boolean } }>;
    expect(chunks.at(-1)!.x_switchboard!.cached).toBe(true);
    const deltas = chunks.map((chunk) => chunk.choices[0]!.delta);
    expect(deltas).toContainEqual({ content: 'Let me look.' });
    expect(deltas).toContainEqual({ reasoning_content: 'Weather needs a lookup.' });
    expect(deltas.filter((delta) => delta.tool_calls).map((delta) => (delta.tool_calls as unknown[])[0])).toEqual([
      { index: 0, id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city":"Paris"}' } },
    ]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });
});
