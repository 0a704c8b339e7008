/**
 * `POST /v1/responses` routed to the real OpenAIManager (chat completions upstream) and the real
 * AnthropicManager (Messages upstream) in front of their fake servers: a text turn, a streamed tool
 * call and its follow-up (the call and its result on the upstream wire under the model's id), an
 * upstream stream that breaks after its first delta (`error`, then `response.failed`), and an upstream
 * 429 before any output (an HTTP 429). The Responses dialect is only the gateway's: upstreams see their own.
 * The broken stream is also read by both clients that speak it: the openai SDK raises it from its
 * iterator, the AI SDK's default provider yields an error part; neither takes a short answer as finished.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createOpenAI } from '@ai-sdk/openai';
import { streamText } from 'ai';
import OpenAI from 'openai';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { anthropicRichWire, toAnthropicRichReply } from '../contract/anthropic-harness.js';
import type { RecordedRequest, RichWire, ScriptedRichReply } from '../contract/contract-harness.js';
import { openAIRichWire, toOpenAIRichReply } from '../contract/openai-harness.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import type { FakeFault } from '../helpers/fake-provider.js';

const KEY = 'gw-resp-up-Hq52Lx09Vm37Tc';
const OPENAI_KEY = 'sk-resp-up-openai-Rt84Nw';
const ANTHROPIC_KEY = 'sk-ant-resp-up-Pz61Gk';
const WEATHER = { type: 'function', name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const CALL = { id: 'call_up_1', name: 'get_weather', arguments: '{"city":"Paris"}' };

type Json = Record<string, any>;

/** One upstream: how to script it (a rich reply, a text stream cut after some deltas, a fault) and read its requests. */
interface Upstream {
  name: string;
  model: string;
  reply(reply: ScriptedRichReply): void;
  /** Stream `chunks` of text, closing cleanly after the first `after` without the terminal event. */
  cut(chunks: string[], after: number): void;
  fault(fault: FakeFault): void;
  requests(): RecordedRequest[];
  wire(request: RecordedRequest): RichWire;
  reset(): void;
}

async function typedEvents(response: Response): Promise<Json[]> {
  return (await response.text())
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => JSON.parse(frame.split('\n')[1]!.replace(/^data: /, '')) as Json);
}

let openai: FakeOpenAIServer;
let anthropic: FakeAnthropicServer;
let gw: Gateway;
let upstreams: Upstream[];

beforeAll(async () => {
  openai = await FakeOpenAIServer.start({ apiKey: OPENAI_KEY });
  anthropic = await FakeAnthropicServer.start({ apiKey: ANTHROPIC_KEY });
  gw = await startGateway({
    config: {
      resilience: { maxRetries: 0 },
      providers: { openai: { apiKey: OPENAI_KEY, baseURL: openai.baseURL }, anthropic: { apiKey: ANTHROPIC_KEY, baseURL: anthropic.url } },
      server: { apiKeys: [{ key: KEY, tenant: 'resp-up' }] },
    },
    env: { NODE_ENV: 'test' },
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
  });
  upstreams = [
    {
      name: 'openai',
      model: 'openai:gpt-4o-mini',
      reply: (reply) => openai.script('gpt-4o-mini', toOpenAIRichReply(reply)),
      cut: (chunks, after) => openai.script('gpt-4o-mini', { text: chunks.join(''), chunks, dieAfterChunks: after }),
      fault: (fault) => openai.script('gpt-4o-mini', fault),
      requests: () => openai.requests,
      wire: openAIRichWire,
      reset: () => openai.reset(),
    },
    {
      name: 'anthropic',
      model: 'anthropic:claude-haiku-4-5',
      reply: (reply) => anthropic.script('claude-haiku-4-5', toAnthropicRichReply(reply)),
      cut: (chunks, after) => anthropic.script('claude-haiku-4-5', { text: chunks.join(''), chunks, dieAfterChunks: after }),
      fault: (fault) => anthropic.script('claude-haiku-4-5', fault),
      requests: () => anthropic.requests,
      wire: anthropicRichWire,
      reset: () => anthropic.reset(),
    },
  ];
});
afterAll(async () => {
  await gw.close();
  await Promise.all([openai.close(), anthropic.close()]);
});

const post = (body: unknown) =>
  fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe.each(['openai', 'anthropic'])('POST /v1/responses to the %s upstream', (name) => {
  let upstream: Upstream;
  beforeAll(() => {
    upstream = upstreams.find((candidate) => candidate.name === name)!;
  });
  beforeEach(() => upstream.reset());

  it('answers a text turn', async () => {
    upstream.reply({ text: 'Bonjour.' });
    const response = await post({ model: upstream.model, instructions: 'Answer in French.', input: 'Say hello', max_output_tokens: 64 });
    const body = (await response.json()) as Json;
    expect([response.status, body.status, body.output]).toEqual([200, 'completed', [expect.objectContaining({ type: 'message', content: [{ type: 'output_text', text: 'Bonjour.', annotations: [] }] })]]);
    expect(body.x_switchboard.model).toBe(upstream.model);
    expect(body.usage).toMatchObject({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) });
    expect(upstream.requests()).toHaveLength(1);
  });

  it('streams a tool call, then answers its result', async () => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    const events = await typedEvents(await post({ model: upstream.model, input: 'Weather in Paris?', tools: [WEATHER], stream: true }));
    const item = events.find((event) => event.type === 'response.output_item.done')!.item;
    expect(item).toMatchObject({ type: 'function_call', call_id: CALL.id, name: CALL.name, status: 'completed' });
    expect(JSON.parse(item.arguments)).toEqual({ city: 'Paris' });
    const completed = events.at(-1)!;
    expect(completed.type).toBe('response.completed');
    expect(completed.response.output).toEqual([item]);

    upstream.reply({ text: 'Sunny and 21 degrees.' });
    const input = [{ role: 'user', content: 'Weather in Paris?' }, ...completed.response.output, { type: 'function_call_output', call_id: CALL.id, output: '{"sky":"sunny","temp":21}' }];
    const body = (await (await post({ model: upstream.model, input, tools: [WEATHER] })).json()) as Json;
    expect(body.output[0].content[0].text).toBe('Sunny and 21 degrees.');
    const second = upstream.wire(upstream.requests()[1]!);
    expect(second.tools.map((tool) => tool.name)).toEqual(['get_weather']);
    expect(second.assistantToolCalls).toEqual([{ id: CALL.id, name: CALL.name, arguments: { city: 'Paris' } }]);
    expect(second.toolResults).toEqual([{ toolCallId: CALL.id, content: '{"sky":"sunny","temp":21}' }]);
  });

  it('ends a stream the upstream broke after its first delta with error and response.failed', async () => {
    upstream.cut(['one ', 'two ', 'three'], 1);
    const events = await typedEvents(await post({ model: upstream.model, input: 'count', stream: true }));
    const types = events.map((event) => event.type);
    expect(events.filter((event) => event.type === 'response.output_text.delta').map((event) => event.delta)).toEqual(['one ']);
    expect(types.slice(-2)).toEqual(['error', 'response.failed']);
    expect(types).not.toContain('response.completed');
    expect(events.at(-1)!.response).toMatchObject({ status: 'failed', error: { code: 'stream_interrupted' } });
  });

  it('makes both SDKs see a stream broken after its first delta as a failure', async () => {
    upstream.cut(['one ', 'two ', 'three'], 1);
    const client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    let text = '';
    const failure = await (async () => {
      for await (const event of await client.responses.create({ model: upstream.model, input: 'count', stream: true })) if (event.type === 'response.output_text.delta') text += event.delta;
    })().catch((error: unknown) => error);
    expect(text).toBe('one ');
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ code: 'stream_interrupted', type: 'api_error' });

    (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
    upstream.cut(['one ', 'two ', 'three'], 1);
    const result = streamText({ model: createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY })(upstream.model), prompt: 'count', maxRetries: 0, onError: () => undefined });
    const parts: string[] = [];
    for await (const part of result.fullStream) parts.push(part.type === 'error' ? `error:${String((part.error as { code?: unknown }).code ?? '')}` : part.type);
    expect(parts).toContain('text-delta');
    expect(parts.filter((part) => part.startsWith('error'))).toEqual(['error:stream_interrupted']);
    expect(await result.finishReason).toBe('error');
  });

  it('answers an upstream 429 before any output as an HTTP 429', async () => {
    upstream.fault({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const response = await post({ model: upstream.model, input: 'x', stream: true });
    expect([response.status, ((await response.json()) as Json).error.code]).toEqual([429, 'rate_limit_exceeded']);
    expect(response.headers.get('retry-after')).toBe('7');
  });
});
