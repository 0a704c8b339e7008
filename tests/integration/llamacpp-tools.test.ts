/**
 * llama.cpp's own rich behaviour, on the tiny GGUF with node-llama-cpp recording what it is asked and
 * steering answers to a script (tests/contract/llamacpp-harness.ts): functions for tool choice auto and
 * the calls the model makes in the chat wrapper's syntax (ids of our own, streamed whole), the functions'
 * documentation counted in the prompt tokens, a grammar and an instruction for a forced call, nothing for
 * `none`, tool turns as function-call history, what is refused before any generation, `json` as any
 * object, providerOptions, the grammar cache, and the schema rewriting for node-llama-cpp's grammars.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatModelFunctionCall } from 'node-llama-cpp';
import { InvalidRequestError, UnsupportedCapabilityError } from '../../src/core/errors.js';
import type { ChatMessage, ManagedStreamPart, ProviderRequest, ToolDefinition } from '../../src/core/types.js';
import { cachedGrammarCount, finiteNumbers, MAX_CACHED_GRAMMARS, toGrammarSchema } from '../../src/managers/llamacpp/json-grammar.js';
import { LlamaCppManager } from '../../src/managers/llamacpp/llamacpp-manager.js';
import type { NodeLlamaCpp } from '../../src/managers/llamacpp/node-llama-cpp-loader.js';
import { steeredNodeLlamaCpp, type AskedGeneration } from '../contract/llamacpp-harness.js';
import type { ScriptedRichReply } from '../contract/contract-harness.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

describe('LlamaCppManager rich messages', () => {
  const WEATHER: ToolDefinition = {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { anyOf: [{ type: 'integer' }, { type: 'null' }] } }, required: ['city'] },
  };
  const TIME: ToolDefinition = { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 5 } } } };
  const asked: AskedGeneration[] = [];
  const scripts: ScriptedRichReply[] = [];
  let dir: string;
  let manager: LlamaCppManager;
  const context = () => ({ signal: new AbortController().signal });
  const ask = (fields: Partial<ProviderRequest> = {}): ProviderRequest => ({ modelId: 'tiny', operation: 'chat', params: { maxTokens: 4, temperature: 0 }, messages: [{ role: 'user', content: 'Weather in Paris?' }], ...fields });
  const lastAsked = () => asked.at(-1)!;
  const refusal = async (request: ProviderRequest) => {
    const before = asked.length;
    const error = await manager.generateResponse(request, context()).catch((caught: unknown) => caught);
    expect(asked).toHaveLength(before);
    return error as Error;
  };

  beforeAll(async () => {
    const real = (await import('node-llama-cpp')) as NodeLlamaCpp;
    dir = await mkdtemp(join(tmpdir(), 'switchboard-llama-tools-'));
    await writeTinyGguf(join(dir, 'tiny.gguf'), { seed: 2, contextLength: 4096 });
    manager = new LlamaCppManager(makeManagerDeps(), { modelsDir: dir, threads: 1, gpu: false, contextSize: 0 }, { importModule: async () => steeredNodeLlamaCpp(real, asked, scripts) });
  });
  afterAll(async () => {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('offers tools as node-llama-cpp functions (auto) and returns the call the model makes in the wrapper syntax, with ids of its own', async () => {
    scripts.push({ text: '', toolCalls: [{ id: 'ignored', name: 'get_weather', arguments: '{"city":"Paris","days":2}' }] });
    const result = await manager.generateResponse(ask({ tools: [WEATHER, TIME], params: { maxTokens: 120, temperature: 0 } }), context());
    expect(lastAsked().functions).toEqual({
      get_weather: { description: 'The weather in a city', params: { type: 'object', properties: { city: { type: 'string' }, days: { oneOf: [{ type: 'integer' }, { type: 'null' }] } }, required: ['city'] } },
      get_time: { params: TIME.parameters },
    });
    expect(lastAsked().options).toMatchObject({ documentFunctionParams: true });
    expect(lastAsked().grammarSchema).toBeUndefined();
    expect(result.finishReason).toBe('tool-calls');
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris","days":2}' });
    expect(result.toolCalls[0]!.id).toMatch(/^call_[A-Za-z0-9_-]{12}$/);
    expect(result.text).toBe('');

    scripts.push({ text: '', toolCalls: [{ id: 'ignored', name: 'get_time', arguments: '{"zone":"CET"}' }] });
    const parts: ManagedStreamPart[] = [];
    for await (const part of manager.streamResponse(ask({ tools: [WEATHER, TIME], params: { maxTokens: 120, temperature: 0 } }), context())) parts.push(part);
    const deltas = parts.filter((part) => part.type === 'tool-call-delta');
    expect(deltas).toEqual([{ type: 'tool-call-delta', index: 0, id: expect.stringMatching(/^call_/), name: 'get_time', argumentsDelta: '{"zone":"CET"}' }]);
    const finish = parts.at(-1) as Extract<ManagedStreamPart, { type: 'finish' }>;
    expect(finish.result.toolCalls).toEqual([{ id: (deltas[0] as { id: string }).id, name: 'get_time', arguments: '{"zone":"CET"}' }]);
    // Ids are unique: calls of different turns never share one.
    expect(finish.result.toolCalls[0]!.id).not.toBe(result.toolCalls[0]!.id);
  });

  it('counts the functions documentation in the prompt tokens exactly (the sequence evaluated them)', async () => {
    const result = await manager.generateResponse(ask({ tools: [WEATHER] }), context());
    const plain = await manager.generateResponse(ask(), context());
    expect(result.usage.inputTokens).toBeGreaterThan(plain.usage.inputTokens + 100);
    await manager.generateResponse(ask({ tools: [WEATHER] }), context());
    const loaded = await manager.getModel('tiny');
    expect(loaded.sequence.nextTokenIndex).toBe(result.usage.inputTokens + result.usage.outputTokens - 1);
  });

  it('offers nothing for toolChoice none, one call at a time without parallel calls, and forces a call with a grammar and an instruction', async () => {
    await manager.generateResponse(ask({ tools: [WEATHER], toolChoice: 'none' }), context());
    expect(lastAsked().functions).toBeUndefined();
    expect(lastAsked().grammarSchema).toBeUndefined();
    await manager.generateResponse(ask({ tools: [WEATHER], parallelToolCalls: false }), context());
    expect(lastAsked().options.maxParallelFunctionCalls).toBe(1);

    scripts.push({ text: '', toolCalls: [{ id: 'x', name: 'get_time', arguments: '{"zone":"UTC"}' }] });
    const forced = await manager.generateResponse(ask({ tools: [WEATHER, TIME], toolChoice: 'required', params: { maxTokens: 60, temperature: 0 } }), context());
    expect(lastAsked().functions).toBeUndefined();
    expect(lastAsked().grammarSchema).toEqual({
      oneOf: [
        { type: 'object', properties: { name: { const: 'get_weather' }, arguments: toGrammarSchema(WEATHER.parameters) } },
        { type: 'object', properties: { name: { const: 'get_time' }, arguments: TIME.parameters } },
      ],
    });
    const system = lastAsked().history[0] as { type: string; text: string };
    expect(system.type).toBe('system');
    expect(system.text).toContain('get_weather: The weather in a city');
    expect(forced).toMatchObject({ text: '', finishReason: 'tool-calls', toolCalls: [{ name: 'get_time', arguments: '{"zone":"UTC"}' }] });

    await manager.generateResponse(ask({ tools: [WEATHER, TIME], toolChoice: { name: 'get_time' }, params: { maxTokens: 2, temperature: 0 } }), context());
    expect(lastAsked().grammarSchema).toEqual({ type: 'object', properties: { name: { const: 'get_time' }, arguments: TIME.parameters } });
  });

  it('ends a forced call cut by the token limit with finish reason length and no call', async () => {
    const result = await manager.generateResponse(ask({ tools: [WEATHER], toolChoice: 'required', params: { maxTokens: 3, temperature: 0 } }), context());
    expect(result).toMatchObject({ text: '', finishReason: 'length', toolCalls: [] });
  });

  it('sends tool turns as function calls holding their results, the next assistant text in the same response', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather and time?' },
      { role: 'assistant', content: 'Checking.', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' }, { id: 'c2', name: 'get_time', arguments: '{"zone":"CET"}' }] },
      { role: 'tool', toolCallId: 'c2', content: '14:05' },
      { role: 'tool', toolCallId: 'c1', content: '{"temp":-3}' },
      { role: 'assistant', content: 'Cold, and 14:05.' },
      { role: 'user', content: 'Thanks' },
    ];
    await manager.generateResponse(ask({ messages, tools: [WEATHER, TIME] }), context());
    const call = (name: string, params: unknown, result: unknown): ChatModelFunctionCall => ({ type: 'functionCall', name, params, result });
    expect(lastAsked().history).toEqual([
      { type: 'system', text: 'Be brief.' },
      { type: 'user', text: 'Weather and time?' },
      { type: 'model', response: ['Checking.', call('get_weather', { city: 'Oslo' }, { temp: -3 }), call('get_time', { zone: 'CET' }, '14:05'), 'Cold, and 14:05.'] },
      { type: 'user', text: 'Thanks' },
      { type: 'model', response: [] },
    ]);
  });

  it('refuses what it cannot carry before any generation: unparsable arguments by path, images, reasoning, tools with a JSON answer', async () => {
    const broken: ChatMessage[] = [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city": Oslo' }] },
      { role: 'tool', toolCallId: 'c1', content: 'cold' },
    ];
    const parse = await refusal(ask({ messages: broken, tools: [WEATHER] }));
    expect(parse).toBeInstanceOf(InvalidRequestError);
    expect(parse.message).toContain('messages[1].toolCalls[0].arguments');
    expect(parse.message).not.toContain('Oslo');
    const image = await refusal(ask({ messages: [{ role: 'user', content: [{ type: 'image', data: 'iVBORw0KGgo=', mediaType: 'image/png' }] }] }));
    expect((image as UnsupportedCapabilityError).capability).toBe('vision');
    const reasoning = await refusal(ask({ params: { reasoning: { effort: 'low' } } }));
    expect((reasoning as UnsupportedCapabilityError).capability).toBe('reasoning');
    for (const toolChoice of ['required', 'auto'] as const) {
      const both = await refusal(ask({ tools: [WEATHER], toolChoice, responseFormat: { type: 'json' } }));
      expect(both).toBeInstanceOf(UnsupportedCapabilityError);
      expect((both as UnsupportedCapabilityError).capability).toBe('responseFormat');
    }
  });

  it('asks for any JSON object under a grammar for json (the tiny model writes one until the limit)', async () => {
    const result = await manager.generateResponse(ask({ responseFormat: { type: 'json' }, params: { maxTokens: 12, temperature: 0 } }), context());
    expect(lastAsked().grammarSchema).toEqual({ type: 'object', additionalProperties: true });
    expect(result.text.startsWith('{')).toBe(true);
    expect(result.text).not.toContain('\n');
  });

  it('merges providerOptions.llamacpp into the generation options, refusing what the manager sets, by name', async () => {
    await manager.generateResponse(ask({ providerOptions: { llamacpp: { topK: 5, minP: 0.1 }, ollama: { leaked: true } } }), context());
    expect(lastAsked().options).toMatchObject({ topK: 5, minP: 0.1 });
    expect(lastAsked().options.leaked).toBeUndefined();
    for (const key of ['temperature', 'grammar', 'functions', 'onToken']) {
      const error = await refusal(ask({ providerOptions: { llamacpp: { [key]: 1 } } }));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain(`providerOptions.llamacpp.${key}`);
    }
  });

  it('compiles a grammar once per schema and keeps at most MAX_CACHED_GRAMMARS', async () => {
    const { model } = await manager.getModel('tiny');
    const schema = (n: number) => ({ type: 'object', properties: { [`k${n}`]: { type: 'boolean' } } });
    const json = (n: number) => ask({ responseFormat: { type: 'json_schema', schema: schema(n) }, params: { maxTokens: 1, temperature: 0 } });
    await manager.generateResponse(json(0), context());
    const once = cachedGrammarCount(model.llama);
    await manager.generateResponse(json(0), context());
    expect(cachedGrammarCount(model.llama)).toBe(once);
    for (let n = 1; n <= MAX_CACHED_GRAMMARS + 5; n++) await manager.generateResponse(json(n), context());
    expect(cachedGrammarCount(model.llama)).toBe(MAX_CACHED_GRAMMARS);
  });
});

describe('llama.cpp grammar schemas', () => {
  it('brings common JSON Schema into what node-llama-cpp builds grammars from', () => {
    expect(
      toGrammarSchema({
        type: 'object',
        properties: { a: { anyOf: [{ type: 'string', format: 'email' }, { $ref: '#/definitions/b' }] }, d: { type: 'string', format: 'date' }, free: { type: 'object' }, e: { enum: [{ anyOf: 1 }] } },
        definitions: { b: { properties: { c: { type: 'integer' } } } },
      }),
    ).toEqual({
      type: 'object',
      properties: { a: { oneOf: [{ type: 'string' }, { $ref: '#/$defs/b' }] }, d: { type: 'string', format: 'date' }, free: { type: 'object', additionalProperties: true }, e: { enum: [{ anyOf: 1 }] } },
      $defs: { b: { type: 'object', properties: { c: { type: 'integer' } } } },
    });
  });

  it('keeps numbers finite and integers whole in the grammar', () => {
    const exponent = ' ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?';
    const gbnf = [`integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15})${exponent}`, `fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})?${exponent}`, 'root ::= x'].join('\n');
    expect(finiteNumbers(gbnf).split('\n')).toEqual([
      'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15})',
      'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9] [0-9]?)?',
      'root ::= x',
    ]);
  });
});
