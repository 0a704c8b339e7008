/**
 * `POST /v1/responses` against the testing FakeProvider, read as raw HTTP so the wire shapes are seen
 * exactly: the `response` object (text, reasoning with its signature, tool calls, incomplete answers),
 * input items converted to the switchboard's messages, the typed SSE events in their order with
 * sequence numbers (text; reasoning, text and a tool call), failures before and after the first delta
 * (an HTTP error; `error` then `response.failed`, never a silent end), and what is refused by name before
 * any upstream call (stateless fields, hosted tools, unknown fields), with problems
 * found by the library's rules named by the caller's path. Routed to the real OpenAI and Anthropic
 * managers in gateway-responses-upstreams.test.ts; every SDK field in gateway-responses-fields.test.ts;
 * item references in gateway-responses-references.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY = 'gw-responses-Wd73Kq18Zp45Nx';
const WEATHER = { type: 'function', name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true };
const CALL = { id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}' };
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';

type Json = Record<string, any>;

/** The typed events of an SSE answer: each frame's `event:` name must be its data's `type`. */
async function typedEvents(response: Response): Promise<Json[]> {
  const frames = (await response.text()).split('\n\n').filter((frame) => frame.trim() !== '');
  return frames.map((frame) => {
    const [eventLine, dataLine, ...rest] = frame.split('\n');
    expect(rest).toEqual([]);
    const data = JSON.parse(dataLine!.replace(/^data: /, '')) as Json;
    expect(eventLine).toBe(`event: ${data.type}`);
    return data;
  });
}

describe('POST /v1/responses (FakeProvider)', () => {
  const fake = new FakeProvider();
  const plain = new FakeProvider({ provider: 'plain', supports: { json: false } });
  let gw: Gateway;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    gw = await startGateway({
      config: { resilience: { maxRetries: 0 }, bots: { helper: { model: 'fake:bot-model', system: 'You help.' } }, server: { apiKeys: [{ key: KEY, tenant: 'resp' }] } },
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

  it('answers a response object with a message, usage, the echoed configuration and the extension', async () => {
    fake.reply('fake:m', { text: 'Hello there.', usage: { inputTokens: 9, outputTokens: 3, cacheReadTokens: 4, reasoningTokens: 1 } });
    const response = await post({ model: 'fake:m', input: 'Say hello', instructions: 'Be brief.', temperature: 0.5, top_p: 0.9, max_output_tokens: 50, metadata: { ticket: 't-1' }, store: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchboard-model')).toBe('fake:m');
    const body = (await response.json()) as Json;
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'fake:m',
      error: null,
      incomplete_details: null,
      instructions: 'Be brief.',
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 50,
      metadata: { ticket: 't-1' },
      store: false,
      previous_response_id: null,
      parallel_tool_calls: true,
      tool_choice: 'auto',
      tools: [],
      text: { format: { type: 'text' } },
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello there.', annotations: [] }] }],
      usage: { input_tokens: 9, input_tokens_details: { cached_tokens: 4 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 12 },
      x_switchboard: { model: 'fake:m', attempts: 1, cached: false, finish_reason: 'stop' },
    });
    expect(body.id).toMatch(/^resp_[0-9a-f]{24}$/);
    expect(body.output[0].id).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(fake.calls[0]).toMatchObject({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }], params: { temperature: 0.5, topP: 0.9, maxTokens: 50 }, stream: false });
  });

  it('answers tool calls and signed reasoning as function_call and reasoning items (no empty message)', async () => {
    fake.reply('fake:m', { text: '', toolCalls: [CALL], reasoning: [{ text: 'Look it up.', signature: 'sig-1' }] });
    const body = (await (await post({ model: 'fake:m', input: 'Weather in Paris?', tools: [WEATHER], tool_choice: 'required', parallel_tool_calls: false, reasoning: { effort: 'low' } })).json()) as Json;
    expect(body.status).toBe('completed');
    expect(body.output).toEqual([
      { type: 'reasoning', id: expect.stringMatching(/^rs_/), summary: [{ type: 'summary_text', text: 'Look it up.' }], encrypted_content: expect.stringMatching(/^sb1\./) },
      { type: 'function_call', id: expect.stringMatching(/^fc_/), call_id: CALL.id, name: CALL.name, arguments: CALL.arguments, status: 'completed' },
    ]);
    expect(body).toMatchObject({ tool_choice: 'required', parallel_tool_calls: false, reasoning: { effort: 'low' }, tools: [WEATHER] });
    expect(fake.calls[0]!.rich).toEqual({ tools: [{ name: 'get_weather', description: 'The weather in a city', parameters: WEATHER.parameters, strict: true }], toolChoice: 'required', parallelToolCalls: false });
    expect(fake.calls[0]!.params.reasoning).toEqual({ effort: 'low' });

    // The items sent back as they came (the openai SDK's loop) return the signed reasoning unchanged.
    fake.reply('fake:m', { text: 'Sunny.' });
    const input = [{ role: 'user', content: 'Weather in Paris?' }, ...body.output, { type: 'function_call_output', call_id: CALL.id, output: '{"sky":"sunny"}' }];
    expect((await post({ model: 'fake:m', input, tools: [WEATHER] })).status).toBe(200);
    expect(fake.calls[1]!.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, toolCalls: [CALL], reasoning: [{ text: 'Look it up.', signature: 'sig-1' }] },
      { role: 'tool', toolCallId: CALL.id, content: '{"sky":"sunny"}' },
    ]);
  });

  it('says incomplete with max_output_tokens when the answer hit the token limit', async () => {
    fake.reply('fake:m', { text: 'Once upon', finishReason: 'length' });
    const body = (await (await post({ model: 'fake:m', input: 'Tell a story', max_output_tokens: 2 })).json()) as Json;
    expect(body).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ type: 'message', status: 'incomplete' }] });
  });

  it('converts input items: roles, text and image parts, echoed assistant messages, calls and their outputs', async () => {
    const input = [
      { role: 'developer', content: 'Answer in French.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: PNG, detail: 'auto' }] },
      { type: 'message', id: 'msg_old', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.', annotations: [] }] },
      { type: 'function_call', id: 'fc_old', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}', status: 'completed' },
      { type: 'function_call', call_id: 'call_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
      { type: 'function_call_output', call_id: 'call_a', output: 'rain' },
      { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: 'sun' }] },
      { role: 'user', content: 'Thanks' },
    ];
    expect((await post({ model: 'fake:m', input, tools: [WEATHER] })).status).toBe(200);
    expect(fake.calls[0]!.messages).toEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', url: PNG }] },
      { role: 'assistant', content: 'Let me check.', toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' }, { id: 'call_b', name: 'get_weather', arguments: '{"city":"Rome"}' }] },
      { role: 'tool', toolCallId: 'call_a', content: 'rain' },
      { role: 'tool', toolCallId: 'call_b', content: 'sun' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('runs a bot with a session named by X-Session-Id and says so', async () => {
    fake.reply('fake:bot-model', { text: 'Hi.' });
    const response = await post({ model: 'bot:helper', input: 'hello' }, { 'X-Session-Id': 'resp-session-1' });
    expect(response.headers.get('x-session-id')).toBe('resp-session-1');
    expect(((await response.json()) as Json).x_switchboard).toMatchObject({ session_id: 'resp-session-1', model: 'fake:bot-model' });
    expect(fake.calls[0]).toMatchObject({ bot: 'helper', sessionId: 'resp-session-1', tenantId: 'resp' });
  });

  it('streams text as the typed events in OpenAI\'s order, with sequence numbers, ending with response.completed (no [DONE])', async () => {
    fake.reply('fake:s', { chunks: ['Once ', 'upon.'], usage: { inputTokens: 5, outputTokens: 2 } });
    const events = await typedEvents(await post({ model: 'fake:s', input: 'story', stream: true }));
    expect(events.map((event) => event.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events[0]!.response).toMatchObject({ status: 'in_progress', output: [], usage: null });
    const itemId = events[2]!.item.id as string;
    expect(events[2]).toMatchObject({ output_index: 0, item: { type: 'message', id: itemId, status: 'in_progress', role: 'assistant', content: [] } });
    expect(events[3]).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    expect(events.slice(4, 6).map((event) => [event.item_id, event.delta])).toEqual([[itemId, 'Once '], [itemId, 'upon.']]);
    expect(events[6]).toMatchObject({ item_id: itemId, text: 'Once upon.' });
    expect(events[8]!.item).toEqual({ type: 'message', id: itemId, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Once upon.', annotations: [] }] });
    const completed = events[9]!.response;
    expect(completed).toMatchObject({ id: events[0]!.response.id, status: 'completed', output: [events[8]!.item], usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 } });
    expect(fake.calls[0]!.stream).toBe(true);
  });

  it('streams reasoning, text and a tool call: the reasoning item closes at the end with its signature', async () => {
    fake.reply('fake:s', { chunks: ['Checking.'], reasoning: [{ text: 'Need weather.', signature: 'sig-2' }], toolCalls: [CALL] });
    const events = await typedEvents(await post({ model: 'fake:s', input: 'Weather?', tools: [WEATHER], stream: true }));
    expect(events.map((event) => event.type)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(events[4]).toMatchObject({ output_index: 0, summary_index: 0, delta: 'Need weather.' });
    expect(events[11]).toMatchObject({ output_index: 2, item: { type: 'function_call', call_id: CALL.id, name: CALL.name, arguments: '', status: 'in_progress' } });
    expect(events[12]!.delta + events[13]!.delta).toBe(CALL.arguments);
    expect(events[14]).toMatchObject({ output_index: 2, name: CALL.name, arguments: CALL.arguments });
    const reasoning = events[18]!.item;
    expect(reasoning).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Need weather.' }], encrypted_content: expect.stringMatching(/^sb1\./) });
    expect(events[19]!.response.output.map((item: Json) => item.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(events[19]!.response.output[0]).toEqual(reasoning);
  });

  it('reports a failure before the first delta as an HTTP error', async () => {
    fake.fail('fake:down', { status: 503 });
    const response = await post({ model: 'fake:down', input: 'x', stream: true });
    expect(response.status).toBe(502);
    expect(((await response.json()) as Json).error).toMatchObject({ type: 'api_error', code: 'upstream_error' });
  });

  it('reports a failure after the first delta as an error event, then response.failed: never a silent end', async () => {
    fake.fail('fake:cut', { interruptAfterChunks: 2, reply: { chunks: ['one ', 'two ', 'three'] } });
    const events = await typedEvents(await post({ model: 'fake:cut', input: 'x', stream: true }));
    expect(events.map((event) => event.type).slice(-4)).toEqual(['response.output_text.delta', 'response.output_text.delta', 'error', 'response.failed']);
    const error = events.at(-2)!;
    expect(error).toMatchObject({ code: 'stream_interrupted', message: expect.any(String), param: null, error: { type: 'api_error', code: 'stream_interrupted', param: null } });
    expect(events.at(-1)!.response).toMatchObject({ status: 'failed', error: { code: 'stream_interrupted' }, output: [{ type: 'message', status: 'incomplete', content: [{ text: 'one two ' }] }] });
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
  });

  const refusals: Array<[string, Json, string, string]> = [
    ['store: true', { store: true }, 'store', 'unsupported_parameter'],
    ['previous_response_id', { previous_response_id: 'resp_123' }, 'previous_response_id', 'unsupported_parameter'],
    ['conversation', { conversation: 'conv_1' }, 'conversation', 'unsupported_parameter'],
    ['a hosted tool', { tools: [{ type: 'web_search' }] }, 'tools[0].type', 'unsupported_parameter'],
    ['a file part', { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input[0].content[0]', 'unsupported_parameter'],
    ['an image detail level', { input: [{ role: 'user', content: [{ type: 'input_image', image_url: PNG, detail: 'high' }] }] }, 'input[0].content[0].detail', 'unsupported_parameter'],
    ['a hosted-tool item', { input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] }, 'input[0].type', 'unsupported_parameter'],
    ['truncation: auto', { truncation: 'auto' }, 'truncation', 'unsupported_parameter'],
    ['an include other than encrypted reasoning', { include: ['message.output_text.logprobs'] }, 'include', 'unsupported_parameter'],
    ['text.verbosity', { text: { verbosity: 'low' } }, 'text.verbosity', 'unsupported_parameter'],
    ['stream obfuscation', { stream: true, stream_options: { include_obfuscation: true } }, 'stream_options.include_obfuscation', 'unsupported_parameter'],
    ['a reasoning summary style', { reasoning: { summary: 'concise' } }, 'reasoning.summary', 'unsupported_parameter'],
    ['an unknown field', { frequency_penalty: 1 }, 'frequency_penalty', 'unknown_parameter'],
    ['an unknown key in a message', { input: [{ role: 'user', content: 'x', name: 'Ann' }] }, 'input[0].name', 'unknown_parameter'],
  ];
  it.each(refusals)('refuses %s by name before any upstream call', async (_name, fields, param, code) => {
    const response = await post({ model: 'fake:m', input: 'hi', ...fields });
    expect([response.status, ((await response.json()) as Json).error]).toEqual([400, expect.objectContaining({ type: 'invalid_request_error', code, param })]);
    expect(fake.calls).toHaveLength(0);
  });

  it('says where state lives when asked to continue a stored response', async () => {
    const body = (await (await post({ model: 'fake:m', input: 'hi', previous_response_id: 'resp_123' })).json()) as Json;
    expect(body.error.message).toContain('sessions and bot memory');
  });

  const paths: Array<[string, Json, string]> = [
    ['a tool result that answers no call', { input: [{ role: 'user', content: 'x' }, { type: 'function_call_output', call_id: 'call_none', output: 'y' }] }, 'input[1].call_id'],
    ['a function call without a name', { input: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'ok' }, { type: 'function_call', call_id: 'c1', name: '', arguments: '{}' }] }, 'input[2].name'],
    ['an http: image', { input: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }, { type: 'input_image', image_url: 'http://example.com/a.png' }] }] }, 'input[0].content[1].image_url'],
    ['an instructions value that is not text', { instructions: 42 }, 'instructions'],
    ['a tool schema that is not an object schema', { tools: [{ ...WEATHER, parameters: { type: 'string' } }] }, 'tools[0].parameters'],
    ['a tool choice naming no tool', { tools: [WEATHER], tool_choice: { type: 'function', name: 'nope' } }, 'tool_choice.name'],
    ['a json_schema without a schema', { text: { format: { type: 'json_schema', name: 'x' } } }, 'text.format.schema'],
    ['an unknown reasoning effort', { reasoning: { effort: 'xhigh' } }, 'reasoning.effort'],
    ['a reasoning item followed by no answer', { input: [{ type: 'reasoning', id: 'rs_1', summary: [] }, { role: 'user', content: 'x' }] }, 'input[0]'],
    ['encrypted reasoning this gateway did not write', { input: [{ role: 'user', content: 'x' }, { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA' }, { role: 'assistant', content: 'y' }] }, 'input[1].encrypted_content'],
    ['metadata that is not a string map', { metadata: { n: 1 } }, 'metadata'],
    ['no input', { input: undefined }, 'input'],
  ];
  it.each(paths)('names the caller\'s path of %s', async (_name, fields, param) => {
    const response = await post({ model: 'fake:m', input: 'hi', ...fields });
    expect([response.status, ((await response.json()) as Json).error.param]).toEqual([400, param]);
    expect(fake.calls).toHaveLength(0);
  });

  it('names text.format when no candidate model can answer in JSON', async () => {
    const response = await post({ model: 'plain:m', input: 'x', text: { format: { type: 'json_object' } } });
    expect([response.status, ((await response.json()) as Json).error]).toEqual([400, expect.objectContaining({ code: 'unsupported_parameter', param: 'text.format' })]);
    expect(plain.calls).toHaveLength(0);
  });

  it('validates a json_schema answer and carries the format', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    fake.reply('fake:m', { text: '{"city":"Paris"}' });
    const body = (await (await post({ model: 'fake:m', input: 'Where?', text: { format: { type: 'json_schema', name: 'place', schema, strict: true } } })).json()) as Json;
    expect(body.output[0].content[0].text).toBe('{"city":"Paris"}');
    expect(body.text).toEqual({ format: { type: 'json_schema', name: 'place', schema, strict: true } });
    expect(fake.calls[0]!.rich.responseFormat).toEqual({ type: 'json_schema', name: 'place', schema, strict: true });
    fake.reply('fake:m', { text: '{"town":"Paris"}' });
    const invalid = await post({ model: 'fake:m', input: 'Where?', text: { format: { type: 'json_schema', name: 'place', schema } } });
    expect([invalid.status, ((await invalid.json()) as Json).error.code]).toEqual([502, 'invalid_output']);
  });
});
