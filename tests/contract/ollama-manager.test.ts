/**
 * OllamaManager against a fake Ollama server on 127.0.0.1 speaking the native wire format:
 * JSON and NDJSON answers, options and keep_alive on the wire, usage, interrupted streams,
 * error bodies, discovery through /api/tags and /api/show, and the rich-message contract (tools,
 * images, format, think) plus what is Ollama's own: no tool choice, ids from older servers, the
 * generate endpoint, levels of `think`, providerOptions and their `options`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AbortError, InvalidRequestError, NoSuchModelError, ProviderError, StreamInterruptedError, UnsupportedCapabilityError } from '../../src/core/errors.js';
import type { CallParams, ChatMessage, ManagedStreamPart, ProviderRequest, ToolDefinition } from '../../src/core/types.js';
import { OllamaManager } from '../../src/managers/ollama/ollama-manager.js';
import { startFakeOllamaServer, type FakeOllamaServer } from '../helpers/fake-ollama-server.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import { config, MODEL, ollamaHarness, ollamaRichHarness } from './ollama-harness.js';
import { runManagerContract } from './manager-contract.js';
import { runRichContract } from './rich-contract.js';
import { collectManaged } from '../helpers/collect-managed.js';

function chat(params: CallParams = {}, operation: ProviderRequest['operation'] = 'chat'): ProviderRequest {
  return { modelId: MODEL, operation, params, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }] };
}

runManagerContract('ollama', ollamaHarness);
runRichContract('ollama', ollamaRichHarness);

describe('OllamaManager', () => {
  let server: FakeOllamaServer;
  const context = () => ({ signal: new AbortController().signal });

  beforeAll(async () => {
    server = await startFakeOllamaServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a chat from /api/chat with usage from prompt_eval_count and eval_count', async () => {
    const manager = new OllamaManager(makeManagerDeps(), config(server));
    server.reply(MODEL, { text: 'Hello!', usage: { inputTokens: 12, outputTokens: 3 } });
    const before = server.requests().length;
    const result = await manager.generateResponse(chat({ temperature: 0.2, maxTokens: 40, topP: 0.9, stop: 'END', seed: 7, frequencyPenalty: 0.1, presencePenalty: 0.3 }), context());
    expect(result.text).toBe('Hello!');
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ inputTokens: 12, outputTokens: 3, totalTokens: 15 });
    expect(result.usageReported).toBe(true);
    expect(result.responseModel).toBe(MODEL);
    const wire = server.requests()[before];
    expect(wire.path).toBe('/api/chat');
    expect(wire.body).toEqual({
      model: MODEL,
      stream: false,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }],
      options: { temperature: 0.2, num_predict: 40, top_p: 0.9, stop: ['END'], seed: 7, frequency_penalty: 0.1, presence_penalty: 0.3 },
    });
  });

  it('sends keep_alive from config, numbers as numbers, and omits it when empty', async () => {
    const before = server.requests().length;
    await new OllamaManager(makeManagerDeps(), config(server, { keepAlive: '10m' })).generateResponse(chat(), context());
    await new OllamaManager(makeManagerDeps(), config(server, { keepAlive: '-1' })).generateResponse(chat(), context());
    await new OllamaManager(makeManagerDeps(), config(server)).generateResponse(chat(), context());
    const bodies = server.requests().slice(before).map((request) => request.body as Record<string, unknown>);
    expect(bodies.map((body) => body.keep_alive)).toEqual(['10m', -1, undefined]);
    expect('keep_alive' in bodies[2]).toBe(false);
  });

  it('sends text completions to /api/generate with the system prompt apart', async () => {
    const manager = new OllamaManager(makeManagerDeps(), config(server));
    server.reply(MODEL, { text: 'completed', usage: { inputTokens: 4, outputTokens: 1 }, finishReason: 'length' });
    const before = server.requests().length;
    const result = await manager.generateResponse(chat({}, 'text_completion'), context());
    expect(result.text).toBe('completed');
    expect(result.finishReason).toBe('length');
    const wire = server.requests()[before];
    expect(wire.path).toBe('/api/generate');
    expect(wire.body).toEqual({ model: MODEL, stream: false, system: 'Be brief.', prompt: 'Hi there' });
  });

  it('streams NDJSON lines as deltas and finishes on done: true with usage and done_reason', async () => {
    const manager = new OllamaManager(makeManagerDeps(), config(server));
    server.reply(MODEL, { text: 'one two three', chunks: ['one ', 'two ', 'three'], usage: { inputTokens: 9, outputTokens: 3 }, finishReason: 'length' });
    const before = server.requests().length;
    const { deltas, finish } = await collectManaged(manager.streamResponse(chat({ maxTokens: 3 }), context()));
    expect(deltas).toEqual(['one ', 'two ', 'three']);
    expect(finish?.result.text).toBe('one two three');
    expect(finish?.result.finishReason).toBe('length');
    expect(finish?.result.usage).toEqual({ inputTokens: 9, outputTokens: 3, totalTokens: 12 });
    expect((server.requests()[before].body as { stream: boolean }).stream).toBe(true);
  });

  it('leaves usage undefined (cost null) when the server reports no counts', async () => {
    const manager = new OllamaManager(makeManagerDeps({ catalog: { 'ollama:llama3.2': { pricing: { inputPerMTok: 1, outputPerMTok: 1 } } } }), config(server));
    server.reply(MODEL, { text: 'no counts' });
    const result = await manager.generateResponse(chat(), context());
    expect(result.usageReported).toBe(false);
    expect(result.costUsd).toBeNull();
    server.reply(MODEL, { text: 'priced', usage: { inputTokens: 1_000_000, outputTokens: 0 } });
    expect((await manager.generateResponse(chat(), context())).costUsd).toBe(1);
  });

  it.each(['end', 'reset'] as const)('treats a stream whose connection closes (%s) before done: true as an interruption', async (how) => {
    const manager = new OllamaManager(makeManagerDeps(), config(server));
    server.interrupt(MODEL, { text: 'abc', chunks: ['a', 'b', 'c'] }, 2, how);
    const deltas: string[] = [];
    const failure = await (async () => {
      for await (const part of manager.streamResponse(chat(), context())) if (part.type === 'text-delta') deltas.push(part.text);
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StreamInterruptedError);
    expect((failure as StreamInterruptedError).partialText).toBe('ab');
    expect(deltas).toEqual(['a', 'b']);
  });

  it('turns an error line in the middle of a stream into an interruption', async () => {
    const manager = new OllamaManager(makeManagerDeps(), config(server));
    server.errorLine(MODEL, { text: 'x', chunks: ['x'] }, 'model runner crashed');
    const failure = await collectManaged(manager.streamResponse(chat(), context())).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StreamInterruptedError);
    expect((failure as Error).message).toContain('model runner crashed');
  });

  it('maps 404 model-not-found to NoSuchModelError with the server message', async () => {
    const manager = new OllamaManager(makeManagerDeps(), config(server));
    const failure = await manager.generateResponse({ ...chat(), modelId: 'not-pulled' }, context()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NoSuchModelError);
    expect((failure as Error).message).toContain('try pulling it first');
  });

  it('maps a 500 error body to a retryable ProviderError and retries it', async () => {
    const manager = new OllamaManager(makeManagerDeps({ resilience: { maxRetries: 1 } }), config(server));
    server.fail(MODEL, { kind: 'status', status: 500, message: 'out of memory' });
    server.reply(MODEL, { text: 'recovered', usage: { inputTokens: 1, outputTokens: 1 } });
    const result = await manager.generateResponse(chat(), context());
    expect(result.text).toBe('recovered');
    expect(result.attempts).toBe(2);
    const single = new OllamaManager(makeManagerDeps(), config(server));
    server.fail(MODEL, { kind: 'status', status: 500, message: 'out of memory' });
    const failure = await single.generateResponse(chat(), context()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).status).toBe(500);
    expect((failure as Error).message).toContain('out of memory');
  });

  it('aborts a hanging request when the caller aborts', async () => {
    const manager = new OllamaManager(makeManagerDeps(), config(server));
    server.hang(MODEL);
    const controller = new AbortController();
    const pending = manager.generateResponse(chat(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(AbortError);
  });

  it('discovers models from /api/tags with context length from /api/show and size as memoryBytes', async () => {
    server.setModels([
      { name: 'llama3.2', size: 2_000_000_000, architecture: 'llama', contextLength: 131_072, capabilities: ['completion', 'tools'] },
      { name: 'qwen2.5vl:3b', size: 3_200_000_000, architecture: 'qwen25vl', contextLength: 32_768, capabilities: ['completion', 'vision'] },
    ]);
    const manager = new OllamaManager(makeManagerDeps(), config(server));
    const models = await manager.listModels();
    expect(models).toEqual([
      { id: 'ollama:llama3.2', provider: 'ollama', model: 'llama3.2', contextWindow: 131_072, memoryBytes: 2_000_000_000, local: true, capabilities: { streaming: true, tools: true, vision: false, json: true, reasoning: false } },
      { id: 'ollama:qwen2.5vl:3b', provider: 'ollama', model: 'qwen2.5vl:3b', contextWindow: 32_768, memoryBytes: 3_200_000_000, local: true, capabilities: { streaming: true, tools: false, vision: true, json: true, reasoning: false } },
    ]);
  });

  it('is always ready but validates its base URL and keep_alive', () => {
    const good = new OllamaManager(makeManagerDeps(), config(server, { keepAlive: '1h30m' }));
    expect(good.status()).toEqual({ name: 'ollama', ready: true });
    expect(good.validateConfig()).toEqual({ ok: true, problems: [] });
    const bad = new OllamaManager(makeManagerDeps(), { baseURL: 'localhost:11434', timeoutMs: 5_000, keepAlive: 'forever' });
    const result = bad.validateConfig();
    expect(result.ok).toBe(false);
    expect(result.problems.map((problem) => problem.key)).toEqual(['providers.ollama.baseURL', 'providers.ollama.keepAlive']);
  });
});

describe('OllamaManager rich messages', () => {
  let server: FakeOllamaServer;
  let oldServer: FakeOllamaServer;
  const context = () => ({ signal: new AbortController().signal });
  const WEATHER: ToolDefinition = { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
  const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
  const ask = (fields: Partial<ProviderRequest> = {}): ProviderRequest => ({ modelId: MODEL, operation: 'chat', params: {}, messages: [{ role: 'user', content: 'Weather in Paris?' }], ...fields });
  const lastBody = (fake = server) => fake.requests().at(-1)!.body as Record<string, unknown>;
  const manager = (fake = server) => new OllamaManager(makeManagerDeps(), config(fake));
  const refusal = async (request: ProviderRequest) => {
    const before = server.requests().length;
    const error = await manager().generateResponse(request, context()).catch((caught: unknown) => caught);
    expect(server.requests()).toHaveLength(before);
    return error as Error;
  };

  beforeAll(async () => {
    const models = [
      { name: MODEL, size: 2_000_000_000, capabilities: ['completion', 'tools'] },
      { name: 'qwen3:8b', size: 5_000_000_000, capabilities: ['completion', 'tools', 'thinking'] },
      { name: 'gpt-oss:20b', size: 13_000_000_000, capabilities: ['completion', 'tools', 'thinking'] },
    ];
    server = await startFakeOllamaServer(models);
    oldServer = await startFakeOllamaServer(models, { toolCallIds: false });
  });
  afterAll(async () => {
    await server.close();
    await oldServer.close();
  });

  it('sends a whole rich conversation in Ollama shapes: images, tool calls as objects with ids, tool results named after their call, thinking back', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this? ' }, { type: 'image', data: PNG, mediaType: 'image/png' }, { type: 'text', text: 'And the weather?' }, { type: 'image', url: `data:image/png;base64,${PNG}` }] },
      { role: 'assistant', content: null, toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }], reasoning: [{ text: 'Need the ' }, { text: 'weather.', signature: 'not-for-ollama' }] },
      { role: 'tool', toolCallId: 'call_a', content: '{"temp":21}' },
    ];
    server.reply(MODEL, { text: 'A pixel; 21 degrees.' });
    await manager().generateResponse(ask({ messages, tools: [WEATHER], toolChoice: 'auto', responseFormat: { type: 'json' } }), context());
    expect(lastBody()).toEqual({
      model: MODEL,
      stream: false,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is this? And the weather?', images: [PNG, PNG] },
        { role: 'assistant', content: '', tool_calls: [{ id: 'call_a', function: { name: 'get_weather', arguments: { city: 'Paris' } } }], thinking: 'Need the weather.' },
        { role: 'tool', content: '{"temp":21}', tool_name: 'get_weather', tool_call_id: 'call_a' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'The weather in a city', parameters: WEATHER.parameters } }],
      format: 'json',
    });
  });

  it('refuses a forced tool choice and a limit of one call before any request (Ollama has neither), and offers no tools for "none"', async () => {
    for (const toolChoice of ['required', { name: 'get_weather' }] as const) {
      const error = await refusal(ask({ tools: [WEATHER], toolChoice }));
      expect(error).toBeInstanceOf(UnsupportedCapabilityError);
      expect((error as UnsupportedCapabilityError).capability).toBe('toolChoice');
      expect(error.message).not.toContain('get_weather');
    }
    const single = await refusal(ask({ tools: [WEATHER], parallelToolCalls: false }));
    expect((single as UnsupportedCapabilityError).capability).toBe('parallelToolCalls');
    server.reply(MODEL, { text: 'No tools.' });
    await manager().generateResponse(ask({ tools: [WEATHER], toolChoice: 'none', parallelToolCalls: false }), context());
    expect('tools' in lastBody()).toBe(false);
  });

  it('refuses arguments that are not the JSON text of an object by path, without repeating them', async () => {
    for (const text of ['{"city": Paris', '[1,2]']) {
      const messages: ChatMessage[] = [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'get_weather', arguments: text }] },
        { role: 'tool', toolCallId: 'c1', content: 'sunny' },
      ];
      const error = await refusal(ask({ messages, tools: [WEATHER] }));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain('messages[1].toolCalls[0].arguments');
      expect(error.message).not.toContain(text);
    }
  });

  it('refuses an https image by path and a thinking budget by name, before any request', async () => {
    const image = await refusal(ask({ messages: [{ role: 'user', content: [{ type: 'image', url: 'https://example.com/secret-cat.png' }] }] }));
    expect(image).toBeInstanceOf(InvalidRequestError);
    expect(image.message).toMatch(/^messages\[0\]\.content\[0\]\.url/);
    expect(image.message).not.toContain('secret-cat');
    const budget = await refusal(ask({ params: { reasoning: { effort: 'high', maxTokens: 1024 } } }));
    expect(budget).toBeInstanceOf(InvalidRequestError);
    expect(budget.message).toContain('params.reasoning.maxTokens');
  });

  it('sends think levels to gpt-oss models (minimal as low) and true to other thinking models; a schema goes as format', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    server.reply('qwen3:8b', { text: '{"ok":true}' });
    await manager().generateResponse(ask({ modelId: 'qwen3:8b', params: { reasoning: { effort: 'low' } }, responseFormat: { type: 'json_schema', schema } }), context());
    expect(lastBody()).toMatchObject({ think: true, format: schema });
    server.reply('gpt-oss:20b', { text: 'ok' });
    await manager().generateResponse(ask({ modelId: 'gpt-oss:20b', params: { reasoning: { effort: 'minimal' } } }), context());
    expect(lastBody().think).toBe('low');
  });

  it('makes ids for the tool calls of servers before 0.12.10 (call_<index>), JSON and streamed', async () => {
    const calls = [
      { id: 'ignored-1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'ignored-2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ];
    oldServer.reply(MODEL, { text: '', toolCalls: calls });
    const result = await manager(oldServer).generateResponse(ask({ tools: [WEATHER] }), context());
    expect(result.toolCalls).toEqual([
      { id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ]);
    expect(result.finishReason).toBe('tool-calls');
    expect(result.text).toBe('');
    oldServer.reply(MODEL, { text: '', toolCalls: calls, reasoning: 'Two cities.' });
    const parts: ManagedStreamPart[] = [];
    for await (const part of manager(oldServer).streamResponse(ask({ tools: [WEATHER] }), context())) parts.push(part);
    expect(parts.filter((part) => part.type === 'tool-call-delta')).toEqual([
      { type: 'tool-call-delta', index: 0, id: 'call_0', name: 'get_weather', argumentsDelta: '{"city":"Paris"}' },
      { type: 'tool-call-delta', index: 1, id: 'call_1', name: 'get_weather', argumentsDelta: '{"city":"Oslo"}' },
    ]);
    expect(parts.filter((part) => part.type === 'reasoning-delta').map((part) => (part as { text: string }).text).join('')).toBe('Two cities.');
    const finish = parts.at(-1) as Extract<ManagedStreamPart, { type: 'finish' }>;
    expect(finish.result.toolCalls.map((call) => call.id)).toEqual(['call_0', 'call_1']);
    expect(finish.result.finishReason).toBe('tool-calls');
    expect(finish.result.reasoning).toEqual([{ text: 'Two cities.' }]);
  });

  it('sends text completions to /api/generate with images, format and think, and to /api/chat when they offer tools', async () => {
    const prompt: ProviderRequest = {
      modelId: 'qwen3:8b',
      operation: 'text_completion',
      params: { reasoning: { effort: 'high' } },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe' }, { type: 'image', data: PNG, mediaType: 'image/png' }] }],
      responseFormat: { type: 'json' },
    };
    server.reply('qwen3:8b', { text: '{"a":1}', reasoning: 'Look first.' });
    const result = await manager().generateResponse(prompt, context());
    expect(result.reasoning).toEqual([{ text: 'Look first.' }]);
    expect(server.requests().at(-1)!.path).toBe('/api/generate');
    expect(lastBody()).toEqual({ model: 'qwen3:8b', stream: false, prompt: 'Describe', images: [PNG], format: 'json', think: true });
    server.reply('qwen3:8b', { text: '', toolCalls: [{ id: 'call_x', name: 'get_weather', arguments: '{"city":"Rome"}' }] });
    const called = await manager().generateResponse({ ...prompt, tools: [WEATHER] }, context());
    expect(server.requests().at(-1)!.path).toBe('/api/chat');
    expect(called.toolCalls).toEqual([{ id: 'call_x', name: 'get_weather', arguments: '{"city":"Rome"}' }]);
  });

  it('merges providerOptions.ollama (options too) and refuses what the request itself sets, by name', async () => {
    server.reply(MODEL, { text: 'ok' });
    await manager().generateResponse(ask({ params: { temperature: 0.2 }, providerOptions: { ollama: { options: { num_ctx: 8192, top_k: 20 }, think: false, raw: false } } }), context());
    expect(lastBody()).toMatchObject({ options: { temperature: 0.2, num_ctx: 8192, top_k: 20 }, think: false, raw: false });
    const cases: Array<[Record<string, unknown>, Partial<ProviderRequest>, string]> = [
      [{ options: { temperature: 1 } }, {}, 'providerOptions.ollama.options.temperature'],
      [{ format: 'json' }, {}, 'providerOptions.ollama.format'],
      [{ tools: [] }, {}, 'providerOptions.ollama.tools'],
      [{ think: false }, { params: { reasoning: { effort: 'low' } } }, 'providerOptions.ollama.think'],
      [{ options: 'fast' }, {}, 'providerOptions.ollama.options'],
    ];
    for (const [options, fields, path] of cases) {
      const error = await refusal(ask({ ...fields, providerOptions: { ollama: options } }));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain(path);
    }
  });

  it('reads an answer whose message only calls tools (no content) as an answer, and malformed tool_calls as no answer', async () => {
    const raw = await startRawOllama([
      JSON.stringify({ model: MODEL, message: { role: 'assistant', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Nice' } } }] }, done: true, done_reason: 'stop' }),
      JSON.stringify({ model: MODEL, message: { role: 'assistant', content: '', tool_calls: [{ function: 'get_weather' }] }, done: true }),
    ]);
    try {
      const ollama = new OllamaManager(makeManagerDeps(), { baseURL: raw.url, timeoutMs: 5_000, keepAlive: '' });
      const result = await ollama.generateResponse(ask({ tools: [WEATHER] }), context());
      expect(result.toolCalls).toEqual([{ id: 'call_0', name: 'get_weather', arguments: '{"city":"Nice"}' }]);
      const broken = await ollama.generateResponse(ask({ tools: [WEATHER] }), context()).catch((caught: unknown) => caught);
      expect(broken).toBeInstanceOf(ProviderError);
      expect((broken as Error).message).toContain('tool_calls');
    } finally {
      await raw.close();
    }
  });
});

/** A server answering each POST with the next of `bodies` as it is (shapes the fake never writes). */
async function startRawOllama(bodies: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const queue = [...bodies];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(queue.shift() ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
