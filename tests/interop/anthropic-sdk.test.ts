/**
 * The official `@anthropic-ai/sdk` through the gateway's `/v1/messages`, in front of the OpenAI fake
 * and the Anthropic fake: `messages.create`, `messages.stream().finalMessage()`, a tool round trip
 * (tool_use -> tool_result -> answer, JSON and streamed), `messages.countTokens`, a wrong gateway key
 * (AuthenticationError) and an upstream 429 (RateLimitError), for each upstream. The tool results
 * must reach the upstream wire under the ids the model gave its calls, whichever provider it is.
 * Thinking streams in Anthropic's event order (the signature ends its block); a stop sequence that
 * ended the answer is reported where the upstream says which one; `top_k` is refused by name where
 * the upstream cannot carry it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { anthropicRichWire, toAnthropicRichReply } from '../contract/anthropic-harness.js';
import type { RecordedRequest, RichWire, ScriptedRichReply } from '../contract/contract-harness.js';
import { openAIRichWire, toOpenAIRichReply } from '../contract/openai-harness.js';
import type { FakeFault } from '../helpers/fake-provider.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { WEATHER_PARAMETERS } from './interop-gateway.js';

const GATEWAY_KEY = 'gw-anthropic-sdk-Qm38Zt51Wc';
const OPENAI_KEY = 'sk-anthropic-sdk-openai-Lr62';
const ANTHROPIC_KEY = 'sk-ant-anthropic-sdk-Hy94';
const WEATHER: Anthropic.Tool = { name: 'get_weather', description: 'The weather in a city', input_schema: WEATHER_PARAMETERS as Anthropic.Tool.InputSchema };
const CALL = { id: 'toolu_weather_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
const RESULT = '{"sky":"sunny","temp":21}';

/** One provider behind the gateway, scripted and read back in our names. */
interface Upstream {
  name: string;
  model: string;
  /** Another model of the same provider, for the rate-limit test (a 429 puts its model on cooldown). */
  spare: string;
  reply(reply: ScriptedRichReply): void;
  /** Queue a fault for the spare model. */
  fail(fault: FakeFault): void;
  requests(): RecordedRequest[];
  wire(request: RecordedRequest): RichWire;
  reset(): void;
}

let gw: Gateway;
let openai: FakeOpenAIServer;
let anthropic: FakeAnthropicServer;
let upstreams: Upstream[];
let client: Anthropic;

beforeAll(async () => {
  openai = await FakeOpenAIServer.start({ apiKey: OPENAI_KEY });
  anthropic = await FakeAnthropicServer.start({ apiKey: ANTHROPIC_KEY });
  gw = await startGateway({
    config: {
      resilience: { maxRetries: 0 },
      providers: { openai: { apiKey: OPENAI_KEY, baseURL: openai.baseURL }, anthropic: { apiKey: ANTHROPIC_KEY, baseURL: anthropic.url } },
      server: { apiKeys: [{ key: GATEWAY_KEY, tenant: 'interop' }] },
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
      spare: 'openai:gpt-4.1-mini',
      reply: (reply) => openai.script('gpt-4o-mini', toOpenAIRichReply(reply)),
      fail: (fault) => openai.script('gpt-4.1-mini', fault),
      requests: () => openai.requests.filter((request) => request.path.endsWith('/chat/completions')),
      wire: openAIRichWire,
      reset: () => openai.reset(),
    },
    {
      name: 'anthropic',
      model: 'anthropic:claude-haiku-4-5',
      spare: 'anthropic:claude-haiku-4-5-20251001',
      reply: (reply) => anthropic.script('claude-haiku-4-5', toAnthropicRichReply(reply)),
      fail: (fault) => anthropic.script('claude-haiku-4-5-20251001', fault),
      requests: () => anthropic.requests.filter((request) => request.path.endsWith('/v1/messages')),
      wire: anthropicRichWire,
      reset: () => anthropic.reset(),
    },
  ];
  // The SDK appends /v1/messages to its baseURL; SDK 1.12 sends the key as Bearer.
  client = new Anthropic({ apiKey: GATEWAY_KEY, baseURL: gw.url, maxRetries: 0, openTelemetry: false });
});
afterAll(async () => {
  await gw.close();
  await Promise.all([openai.close(), anthropic.close()]);
});

describe.each(['openai', 'anthropic'])('@anthropic-ai/sdk through the gateway to the %s fake', (name) => {
  let upstream: Upstream;
  beforeAll(() => {
    upstream = upstreams.find((candidate) => candidate.name === name)!;
  });
  beforeEach(() => upstream.reset());

  it('answers messages.create with a text message and Anthropic usage', async () => {
    upstream.reply({ text: 'Bonjour, Paris.', usage: { inputTokens: 12, outputTokens: 4 } });
    const message = await client.messages.create({ model: upstream.model, max_tokens: 128, system: 'Answer in French.', messages: [{ role: 'user', content: 'Say hello to Paris.' }] });
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: upstream.model, stop_reason: 'end_turn', stop_sequence: null });
    expect(message.id).toMatch(/^msg_/);
    expect(message.content).toEqual([{ type: 'text', text: 'Bonjour, Paris.', citations: null }]);
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 4 });
    expect(message._request_id).toMatch(/^req_/);
  });

  it('accumulates a stream into finalMessage, text events in order', async () => {
    upstream.reply({ text: 'Once upon a time.', chunks: ['Once ', 'upon ', 'a time.'], usage: { inputTokens: 9, outputTokens: 5 } });
    const stream = client.messages.stream({ model: upstream.model, max_tokens: 128, messages: [{ role: 'user', content: 'Tell me a story.' }] });
    const texts: string[] = [];
    stream.on('text', (text) => texts.push(text));
    const message = await stream.finalMessage();
    expect(texts).toEqual(['Once ', 'upon ', 'a time.']);
    expect(message.content).toEqual([{ type: 'text', text: 'Once upon a time.', citations: null }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 9, output_tokens: 5 });
  });

  it.each([false, true])('completes a tool round trip: tool_use -> tool_result -> answer (stream: %s)', async (stream) => {
    upstream.reply({ text: '', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny and 21 degrees in Paris.' });
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const ask = async () => {
      const params = { model: upstream.model, max_tokens: 256, messages, tools: [WEATHER] };
      return stream ? client.messages.stream(params).finalMessage() : client.messages.create(params);
    };
    const first = await ask();
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use')!;
    expect(use).toMatchObject({ id: CALL.id, name: CALL.name, input: { city: 'Paris' } });
    messages.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: RESULT }] });
    const second = await ask();
    expect(second.content).toEqual([{ type: 'text', text: 'Sunny and 21 degrees in Paris.', citations: null }]);
    expect(second.stop_reason).toBe('end_turn');
    const requests = upstream.requests();
    expect(requests).toHaveLength(2);
    expect(upstream.wire(requests[0]!).tools.map((tool) => tool.name)).toEqual(['get_weather']);
    const wire = upstream.wire(requests[1]!);
    expect(wire.assistantToolCalls).toEqual([{ id: CALL.id, name: CALL.name, arguments: { city: 'Paris' } }]);
    expect(wire.toolResults).toEqual([{ toolCallId: CALL.id, content: RESULT }]);
  });

  it('streams parallel tool calls as one tool_use block each, inputs whole', async () => {
    const calls = [CALL, { id: 'toolu_weather_2', name: 'get_weather', arguments: '{"city":"Lyon"}' }];
    upstream.reply({ text: '', toolCalls: calls });
    const message = await client.messages.stream({ model: upstream.model, max_tokens: 256, messages: [{ role: 'user', content: 'Weather in Paris and Lyon?' }], tools: [WEATHER] }).finalMessage();
    expect(message.content.map((block) => (block.type === 'tool_use' ? [block.id, block.input] : block.type))).toEqual([
      [CALL.id, { city: 'Paris' }],
      ['toolu_weather_2', { city: 'Lyon' }],
    ]);
  });

  it('counts tokens with messages.countTokens, as sb.countTokens counts them', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'How many tokens are in this question?' }];
    const counted = await client.messages.countTokens({ model: upstream.model, system: 'Be brief.', messages, tools: [WEATHER] });
    const direct = await gw.switchboard.countTokens({ model: upstream.model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'How many tokens are in this question?' }], tools: [{ name: WEATHER.name, description: WEATHER.description!, parameters: WEATHER_PARAMETERS }] });
    expect(counted).toEqual({ input_tokens: direct.inputTokens });
    expect(counted.input_tokens).toBeGreaterThan(0);
  });

  it('raises RateLimitError for an upstream 429, with its retry-after', async () => {
    upstream.fail({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const failure = await client.messages.create({ model: upstream.spare, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.RateLimitError);
    expect((failure as InstanceType<typeof Anthropic.RateLimitError>).type).toBe('rate_limit_error');
    expect((failure as InstanceType<typeof Anthropic.RateLimitError>).headers.get('retry-after')).toBe('7');
  });

  it('raises AuthenticationError for a wrong gateway key, sent as Bearer or as x-api-key, naming neither key', async () => {
    const bearer = new Anthropic({ apiKey: 'gw-wrong-key-Zx81', baseURL: gw.url, maxRetries: 0, openTelemetry: false });
    const header = new Anthropic({ apiKey: 'gw-wrong-key-Zx81', baseURL: gw.url, maxRetries: 0, openTelemetry: false, defaultHeaders: { authorization: null, 'x-api-key': 'gw-wrong-key-Zx81' } });
    for (const wrong of [bearer, header]) {
      const failure = await wrong.messages.create({ model: upstream.model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Anthropic.AuthenticationError);
      expect((failure as InstanceType<typeof Anthropic.AuthenticationError>).type).toBe('authentication_error');
      expect(String((failure as Error).message)).not.toContain('gw-wrong-key');
    }
    expect(upstream.requests()).toHaveLength(0);
  });
});

describe('@anthropic-ai/sdk through the gateway, thinking', () => {
  it.each([false, true])('returns signed thinking from the anthropic fake and sends it back in the tool follow-up (stream: %s)', async (stream) => {
    const upstream = upstreams.find((candidate) => candidate.name === 'anthropic')!;
    upstream.reset();
    upstream.reply({ text: '', reasoning: 'The user wants the weather.', signature: 'sig-thinking-1', toolCalls: [CALL] });
    upstream.reply({ text: 'Sunny.' });
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    /** The streamed block events of the first answer, as `type:index` (with the delta's type). */
    const order: string[] = [];
    const ask = async () => {
      const params = { model: upstream.model, max_tokens: 4096, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, messages, tools: [WEATHER] };
      if (!stream) return client.messages.create(params);
      const streaming = client.messages.stream(params);
      streaming.on('streamEvent', (event) => {
        if (event.type === 'content_block_delta') order.push(`${event.delta.type}:${event.index}`);
        else if (event.type === 'content_block_start' || event.type === 'content_block_stop') order.push(`${event.type}:${event.index}`);
      });
      return streaming.finalMessage();
    };
    const first = await ask();
    expect(first.content[0]).toEqual({ type: 'thinking', thinking: 'The user wants the weather.', signature: 'sig-thinking-1' });
    // Anthropic's order: thinking_delta..., signature_delta, then the block stops.
    if (stream) expect(order.slice(0, order.indexOf('content_block_stop:0') + 1).filter((entry) => !entry.startsWith('thinking_delta'))).toEqual(['content_block_start:0', 'signature_delta:0', 'content_block_stop:0']);
    expect(upstream.wire(upstream.requests()[0]!).reasoning).toEqual({ maxTokens: 1024 });
    messages.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: CALL.id, content: RESULT }] });
    const second = await ask();
    expect(second.content).toEqual([{ type: 'text', text: 'Sunny.', citations: null }]);
    expect(upstream.wire(upstream.requests()[1]!).reasoningBlocksSent).toEqual([{ text: 'The user wants the weather.', signature: 'sig-thinking-1' }]);
  });

  it.each([
    ['openai:gpt-4o-mini', /^thinking: .*reasoning capability/],
    ['openai:o4-mini', /^thinking\.budget_tokens: .*takes? an effort only/],
  ])('refuses a thinking budget for %s (chat completions take an effort, not a budget), naming the field, before any upstream call', async (model, named) => {
    openai.reset();
    const failure = await client.messages.create({ model, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'hi' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    expect((failure as InstanceType<typeof Anthropic.BadRequestError>).apiMessage).toMatch(named);
    expect(openai.requests).toHaveLength(0);
  });

  it.each([false, true])('reports the stop sequence that ended an answer from the anthropic fake, and end_turn from the openai fake (stream: %s)', async (stream) => {
    anthropic.reset();
    openai.reset();
    anthropic.script('claude-haiku-4-5', { text: 'One, two', finishReason: 'stop_sequence' });
    const ask = (model: string) => {
      const params = { model, max_tokens: 64, stop_sequences: ['THREE'], messages: [{ role: 'user' as const, content: 'Count to five' }] };
      return stream ? client.messages.stream(params).finalMessage() : client.messages.create(params);
    };
    expect(await ask('anthropic:claude-haiku-4-5')).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'THREE' });
    expect(await ask('openai:gpt-4o-mini')).toMatchObject({ stop_reason: 'end_turn', stop_sequence: null });
  });

  it.each(['anthropic:claude-haiku-4-5', 'openai:gpt-4o-mini'])('refuses top_k for %s (no top-k on its wire), naming top_k, before any upstream call', async (model) => {
    anthropic.reset();
    openai.reset();
    // SDK 1.12's types have no top_k (its API version takes no sampling parameters); older clients send it.
    const failure = await client.messages.create({ model, max_tokens: 64, top_k: 5, messages: [{ role: 'user', content: 'hi' }] } as Anthropic.MessageCreateParamsNonStreaming).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    expect((failure as InstanceType<typeof Anthropic.BadRequestError>).apiMessage).toMatch(/^top_k: /);
    expect([anthropic.requests, openai.requests]).toEqual([[], []]);
  });

  it('refuses temperature for the anthropic fake (its API version takes none), naming temperature', async () => {
    const upstream = upstreams.find((candidate) => candidate.name === 'anthropic')!;
    upstream.reset();
    const failure = await client.messages.create({ model: upstream.model, max_tokens: 64, temperature: 0.5, messages: [{ role: 'user', content: 'hi' }] } as Anthropic.MessageCreateParamsNonStreaming).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    expect((failure as InstanceType<typeof Anthropic.BadRequestError>).apiMessage).toMatch(/^temperature: /);
    expect(upstream.requests()).toHaveLength(0);
  });
});
