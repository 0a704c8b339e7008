/**
 * AnthropicManager's rich messages beyond the shared contract, through the real `@anthropic-ai/sdk`
 * against FakeAnthropicServer (which refuses what the real API refuses): the block order of a whole
 * conversation, tool results merged into one user turn, refused fields, thinking budgets, structured
 * output native and through the answer tool, thinking and redacted thinking answers, providerOptions,
 * and the fake's own fidelity to the SDK.
 */
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { InvalidRequestError, UnsupportedCapabilityError } from '../../src/core/errors.js';
import type { CallContext, ChatMessage, ManagedStreamPart, ProviderRequest, ToolDefinition } from '../../src/core/types.js';
import { AnthropicManager } from '../../src/managers/anthropic/anthropic-manager.js';
import { EFFORT_BUDGETS } from '../../src/managers/anthropic/convert-thinking.js';
import { ANSWER_TOOL } from '../../src/managers/anthropic/structured-output.js';
import type { CatalogEntry } from '../../src/registry/model-catalog.js';
import { FakeProvider } from '../../src/testing/index.js';
import { FakeAnthropicServer, type AnthropicBlockScript } from '../helpers/fake-anthropic-server.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';

const KEY = 'sk-ant-rich-test-Qw8Er4Ty6Ui2';
const MODEL = 'claude-haiku-4-5';
/** A model from before structured outputs: JSON answers come through the answer tool. */
const LEGACY = 'claude-sonnet-4-0';
const CATALOG = JSON.parse(readFileSync(new URL('../../config/models.json', import.meta.url), 'utf8')) as Record<string, CatalogEntry>;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
const WEATHER: ToolDefinition = { name: 'get_weather', description: 'The weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const TIME: ToolDefinition = { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } } } };
const SCHEMA = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'], additionalProperties: false };
const HELLO: ChatMessage[] = [{ role: 'user', content: 'Hello?' }];
const DEFAULT_MAX = 500;

function call(fields: Partial<ProviderRequest> = {}): ProviderRequest {
  return { modelId: MODEL, messages: HELLO, params: {}, operation: 'chat', ...fields };
}

function context(): CallContext {
  return { signal: new AbortController().signal };
}

async function collect(stream: AsyncIterable<ManagedStreamPart>): Promise<ManagedStreamPart[]> {
  const parts: ManagedStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

function finishOf(parts: ManagedStreamPart[]) {
  const last = parts.at(-1);
  if (last?.type !== 'finish') throw new Error('no finish part last');
  return last.result;
}

const joined = (parts: ManagedStreamPart[], type: 'text-delta' | 'reasoning-delta') => parts.map((part) => (part.type === type ? part.text : '')).join('');

describe('AnthropicManager rich messages', () => {
  let server: FakeAnthropicServer;
  const build = () => new AnthropicManager(makeManagerDeps({ catalog: CATALOG }), { apiKey: KEY, baseURL: server.url, timeoutMs: 5_000, defaultMaxTokens: DEFAULT_MAX });
  const lastBody = () => server.requests.at(-1)!.body as Record<string, unknown>;
  /** The error `request` fails with, after checking that nothing went over the network. */
  const failure = async (request: ProviderRequest): Promise<Error> => {
    const error = (await build().generateResponse(request, context()).catch((caught: unknown) => caught)) as Error;
    expect(server.requestCount).toBe(0);
    return error;
  };

  beforeAll(async () => {
    server = await FakeAnthropicServer.start({ apiKey: KEY });
  });
  beforeEach(() => server.reset());
  afterAll(() => server.close());

  it('sends a whole conversation in Anthropic blocks: images, thinking, text, tool_use, and results merged into one user turn', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', url: 'https://example.com/cat.png' }, { type: 'image', url: `data:image/webp;base64,${PNG}` }, { type: 'image', data: PNG, mediaType: 'image/gif' }] },
      {
        role: 'assistant',
        content: 'Let me look.',
        reasoning: [{ text: 'Two tools.', signature: 'sig-1' }, { text: '', redacted: 'enc-1' }, { text: 'another provider thought this' }],
        toolCalls: [
          { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'toolu_2', name: 'get_time', arguments: '{"zone":"CET"}' },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_1', content: '{"temp":21}' },
      { role: 'tool', toolCallId: 'toolu_2', content: '{"time":"14:05"}' },
      { role: 'user', content: 'And tomorrow?' },
    ];
    await build().generateResponse(call({ messages, tools: [WEATHER, TIME], parallelToolCalls: false }), context());
    const body = lastBody();
    expect(body.system).toBe('Be brief.');
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/webp', data: PNG } },
          { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: PNG } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Two tools.', signature: 'sig-1' },
          { type: 'redacted_thinking', data: 'enc-1' },
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: { zone: 'CET' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temp":21}' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: '{"time":"14:05"}' },
          { type: 'text', text: 'And tomorrow?' },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      { name: 'get_weather', description: 'The weather', input_schema: WEATHER.parameters },
      { name: 'get_time', input_schema: TIME.parameters },
    ]);
    expect(body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  it.each(['not json', '[1,2]', '"a string"', ''])('refuses tool arguments %j by path, echoing nothing, before any request', async (args) => {
    const messages: ChatMessage[] = [...HELLO, { role: 'assistant', content: null, toolCalls: [{ id: 'toolu_x', name: 'get_weather', arguments: args }] }, { role: 'tool', toolCallId: 'toolu_x', content: 'ok' }];
    const error = await failure(call({ messages, tools: [WEATHER] }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain('messages[1].toolCalls[0].arguments');
    if (args !== '') expect(error.message).not.toContain(args);
  });

  describe.each([
    ['temperature', 'params.temperature', 0.35],
    ['topP', 'params.topP', 0.85],
    ['frequencyPenalty', 'params.frequencyPenalty', 0.25],
    ['presencePenalty', 'params.presencePenalty', 0.15],
    ['seed', 'params.seed', 4242],
  ] as const)('%s', (param, path, value) => {
    it(`is refused as ${path} (UnsupportedCapabilityError), JSON and streamed, before any request`, async () => {
      const error = await failure(call({ params: { [param]: value } }));
      expect(error).toBeInstanceOf(UnsupportedCapabilityError);
      expect((error as UnsupportedCapabilityError).capability).toBe(path);
      expect(error.message).toContain(path);
      expect(error.message).not.toContain(String(value));
      // streamResponse refuses as it is called, like the base class's own capability checks.
      let thrown: unknown;
      try {
        build().streamResponse(call({ params: { [param]: value } }), context());
      } catch (caught) {
        thrown = caught;
      }
      expect(thrown).toMatchObject({ code: 'unsupported_capability', capability: path });
      expect(server.requestCount).toBe(0);
    });
  });

  describe('thinking budgets', () => {
    it('reasoning.maxTokens is the budget; max_tokens is budget + defaultMaxTokens when not given', async () => {
      await build().generateResponse(call({ params: { reasoning: { maxTokens: 3000 } } }), context());
      expect(lastBody()).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 3000 }, max_tokens: 3000 + DEFAULT_MAX });
      await build().generateResponse(call({ params: { reasoning: { maxTokens: 3000, effort: 'high' }, maxTokens: 3001 } }), context());
      expect(lastBody()).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 3000 }, max_tokens: 3001 });
    });

    it.each(Object.entries(EFFORT_BUDGETS))('effort %s is a budget of %i tokens', async (effort, budget) => {
      await build().generateResponse(call({ params: { reasoning: { effort: effort as 'low' } } }), context());
      expect(lastBody()).toMatchObject({ thinking: { type: 'enabled', budget_tokens: budget }, max_tokens: budget + DEFAULT_MAX });
    });

    it('an effort under an explicit maxTokens takes at most three quarters of it', async () => {
      await build().generateResponse(call({ params: { reasoning: { effort: 'high' }, maxTokens: 4096 } }), context());
      expect(lastBody()).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 3072 }, max_tokens: 4096 });
    });

    it.each([
      [{ reasoning: { maxTokens: 1023 } }, 'params.reasoning.maxTokens'],
      [{ reasoning: { maxTokens: 2048 }, maxTokens: 2048 }, 'params.maxTokens'],
      [{ reasoning: { effort: 'low' as const }, maxTokens: 1200 }, 'params.maxTokens'],
    ])('%j is an InvalidRequestError naming %s, before any request', async (params, path) => {
      const error = await failure(call({ params }));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain(path);
    });

    it('a forced tool choice while thinking is refused as toolChoice; auto goes', async () => {
      for (const toolChoice of ['required', { name: 'get_weather' }] as const) {
        const error = await failure(call({ tools: [WEATHER], toolChoice, params: { reasoning: { effort: 'low' } } }));
        expect(error).toMatchObject({ code: 'unsupported_capability', capability: 'toolChoice' });
      }
      await build().generateResponse(call({ tools: [WEATHER], toolChoice: 'auto', params: { reasoning: { effort: 'low' } } }), context());
      expect(lastBody()).toMatchObject({ tool_choice: { type: 'auto' }, thinking: { type: 'enabled' } });
    });
  });

  describe('answers with thinking, redacted thinking and tool calls', () => {
    const content: AnthropicBlockScript[] = [
      { type: 'thinking', thinking: 'Paris, then the time.', signature: 'sig-paris' },
      { type: 'redacted_thinking', data: 'ENCRYPTED==' },
      { type: 'text', text: 'Checking both.' },
      { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_b', name: 'get_time', input: { zone: 'CET' } },
    ];
    const reasoning = [{ text: 'Paris, then the time.', signature: 'sig-paris' }, { text: '', redacted: 'ENCRYPTED==' }];
    const toolCalls = [
      { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'toolu_b', name: 'get_time', arguments: '{"zone":"CET"}' },
    ];
    const ask = () => call({ tools: [WEATHER, TIME], params: { reasoning: { effort: 'low' } } });

    it('JSON: text, tool calls and reasoning blocks with signature and encrypted data', async () => {
      server.script(MODEL, { content });
      const result = await build().generateResponse(ask(), context());
      expect(result).toMatchObject({ text: 'Checking both.', finishReason: 'tool-calls', toolCalls, reasoning });
    });

    it('stream: reasoning deltas, tool-call deltas indexed by call (not by block), a finish with both', async () => {
      server.script(MODEL, { content });
      const parts = await collect(build().streamResponse(ask(), context()));
      expect(joined(parts, 'reasoning-delta')).toBe('Paris, then the time.');
      expect(joined(parts, 'text-delta')).toBe('Checking both.');
      const deltas = parts.flatMap((part) => (part.type === 'tool-call-delta' ? [part] : []));
      expect(new Set(deltas.map((delta) => delta.index))).toEqual(new Set([0, 1]));
      expect(deltas.filter((delta) => delta.id).map((delta) => [delta.index, delta.id, delta.name])).toEqual([
        [0, 'toolu_a', 'get_weather'],
        [1, 'toolu_b', 'get_time'],
      ]);
      expect(finishOf(parts)).toMatchObject({ text: 'Checking both.', finishReason: 'tool-calls', toolCalls, reasoning });
    });
  });

  describe('structured output', () => {
    const jsonSchema = { type: 'json_schema' as const, name: 'weather', schema: SCHEMA };

    it('json_schema on a model with structured outputs: output_config.format, the answer a text block', async () => {
      server.script(MODEL, { json: '{"city":"Paris","temp":21}' });
      const result = await build().generateResponse(call({ responseFormat: jsonSchema, params: { reasoning: { effort: 'low' } } }), context());
      expect(result).toMatchObject({ text: '{"city":"Paris","temp":21}', finishReason: 'stop', toolCalls: [] });
      expect(lastBody()).toMatchObject({ output_config: { format: { type: 'json_schema', schema: SCHEMA } }, thinking: { type: 'enabled' } });
      expect(lastBody().tools).toBeUndefined();
    });

    it.each([
      ['json_schema on an older model', LEGACY, jsonSchema, SCHEMA],
      ['json on any model', MODEL, { type: 'json' as const }, { type: 'object' }],
    ])('%s: a forced answer tool whose input is the text, never a tool call (JSON and streamed)', async (_name, modelId, responseFormat, schema) => {
      server.script(modelId, { json: '{"city":"Oslo","temp":-3}' }, { json: '{"city":"Oslo","temp":-3}' });
      const result = await build().generateResponse(call({ modelId, responseFormat }), context());
      expect(result).toMatchObject({ text: '{"city":"Oslo","temp":-3}', finishReason: 'stop', toolCalls: [] });
      expect(lastBody()).toMatchObject({
        tools: [{ name: ANSWER_TOOL, input_schema: schema }],
        tool_choice: { type: 'tool', name: ANSWER_TOOL, disable_parallel_tool_use: true },
      });
      expect(lastBody().output_config).toBeUndefined();
      const parts = await collect(build().streamResponse(call({ modelId, responseFormat }), context()));
      expect(JSON.parse(joined(parts, 'text-delta'))).toEqual({ city: 'Oslo', temp: -3 });
      expect(parts.some((part) => part.type === 'tool-call-delta')).toBe(false);
      expect(finishOf(parts)).toMatchObject({ finishReason: 'stop', toolCalls: [] });
    });

    it('the answer tool is refused with thinking or with tools of the request (responseFormat), before any request', async () => {
      for (const fields of [
        { responseFormat: { type: 'json' as const }, params: { reasoning: { effort: 'low' as const } } },
        { modelId: LEGACY, responseFormat: jsonSchema, tools: [WEATHER] },
      ]) {
        const error = await failure(call(fields));
        expect(error).toMatchObject({ code: 'unsupported_capability', capability: 'responseFormat' });
      }
    });
  });

  describe('providerOptions.anthropic', () => {
    it('a field the request owns is refused by name; output_config goes when no structured answer needs it', async () => {
      const thinking = await failure(call({ providerOptions: { anthropic: { thinking: { type: 'adaptive' } } } }));
      expect(thinking).toBeInstanceOf(InvalidRequestError);
      expect(thinking.message).toContain('providerOptions.anthropic.thinking');
      const format = await failure(call({ responseFormat: { type: 'json_schema', schema: SCHEMA }, providerOptions: { anthropic: { output_config: { effort: 'low' } } } }));
      expect(format.message).toContain('providerOptions.anthropic.output_config');
      await build().generateResponse(call({ providerOptions: { anthropic: { output_config: { effort: 'low' }, metadata: { user_id: 'u-7' } } } }), context());
      expect(lastBody()).toMatchObject({ output_config: { effort: 'low' }, metadata: { user_id: 'u-7' } });
    });
  });

  describe('through a switchboard', () => {
    it('a bot whose params set temperature skips Claude with the reason, and falls back', async () => {
      const fake = new FakeProvider();
      const sb = await createSwitchboard({
        configFile: [],
        env: {},
        config: {
          telemetry: { logLevel: 'silent' },
          providers: { anthropic: { apiKey: KEY, baseURL: server.url } },
          bots: {
            warm: { model: `anthropic:${MODEL}`, fallbacks: ['fake:backup'], params: { temperature: 0.7 } },
            claudeOnly: { model: `anthropic:${MODEL}`, params: { temperature: 0.7 } },
          },
        },
        managers: [fake],
      });
      try {
        const fallbacks: Array<{ from: string; error: { code: string; message: string } }> = [];
        sb.events.on('fallback', (event) => void fallbacks.push(event));
        fake.reply('fake:backup', { text: 'from the backup' });
        const result = await sb.chat({ bot: 'warm', messages: HELLO });
        expect(result).toMatchObject({ text: 'from the backup', model: 'fake:backup' });
        expect(fallbacks).toEqual([expect.objectContaining({ from: `anthropic:${MODEL}`, error: expect.objectContaining({ code: 'unsupported_capability' }) })]);
        expect(fallbacks[0]!.error.message).toContain('params.temperature');
        const alone = await sb.chat({ bot: 'claudeOnly', messages: HELLO }).catch((caught: unknown) => caught);
        expect(alone).toBeInstanceOf(InvalidRequestError);
        expect((alone as Error).message).toContain('params.temperature');
        expect(server.requestCount).toBe(0);
        // The answer tool's input comes back as a validated object.
        server.script(LEGACY, { json: '{"city":"Lima","temp":19}' });
        const structured = await sb.chat({ model: `anthropic:${LEGACY}`, messages: HELLO, responseFormat: { type: 'json_schema', schema: SCHEMA } });
        expect(structured).toMatchObject({ object: { city: 'Lima', temp: 19 }, toolCalls: [], finishReason: 'stop' });
      } finally {
        await sb.close();
      }
    });
  });
});

describe('FakeAnthropicServer rich answers', () => {
  let server: FakeAnthropicServer;
  let client: Anthropic;
  const ask = { model: MODEL, max_tokens: 4096, messages: [{ role: 'user' as const, content: 'Hello' }] };

  beforeAll(async () => {
    server = await FakeAnthropicServer.start();
    client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0, openTelemetry: false });
  });
  afterAll(() => server.close());

  it("streams content blocks that the SDK's own accumulator turns into the same message as the JSON answer", async () => {
    const content: AnthropicBlockScript[] = [
      { type: 'thinking', thinking: 'Let me see.', signature: 'sig-9' },
      { type: 'redacted_thinking', data: 'ENC' },
      { type: 'text', text: 'Two calls.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris', days: [1, 2] } },
    ];
    server.script(MODEL, { content }, { content });
    const json = await client.messages.create(ask);
    const streamed = await client.messages.stream(ask).finalMessage();
    expect(streamed.content).toEqual(json.content);
    expect(streamed.stop_reason).toBe('tool_use');
    expect(json.content.map((block) => block.type)).toEqual(['thinking', 'redacted_thinking', 'text', 'tool_use']);
  });

  it.each([
    ['a budget not below max_tokens', { thinking: { type: 'enabled' as const, budget_tokens: 4096 } }, 'max_tokens'],
    ['a budget under 1024', { thinking: { type: 'enabled' as const, budget_tokens: 1000 } }, 'budget_tokens'],
    ['a tool_use left unanswered', { messages: [...ask.messages, { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id: 't1', name: 'x', input: {} }] }, { role: 'user' as const, content: 'next' }] }, 'tool_result'],
  ])('refuses %s with 400, as the API does', async (_name, extra, word) => {
    await expect(client.messages.create({ ...ask, ...extra })).rejects.toMatchObject({ status: 400, message: expect.stringContaining(word) });
  });
});
