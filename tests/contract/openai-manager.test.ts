/**
 * OpenAIManager: the shared contract, then what is particular to OpenAI, all through the real
 * `openai` SDK against FakeOpenAIServer on 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AuthenticationError, InvalidRequestError, ProviderError, StreamInterruptedError, TimeoutError } from '../../src/core/errors.js';
import type { CallContext, ManagedStreamPart, ProviderRequest } from '../../src/core/types.js';
import type { ManagerDeps } from '../../src/managers/base-llm-manager.js';
import { usesMaxCompletionTokens } from '../../src/managers/openai/convert-request.js';
import { OpenAIManager } from '../../src/managers/openai/openai-manager.js';
import { ModelCatalog, type CatalogEntry } from '../../src/registry/model-catalog.js';
import { FakeOpenAIServer, LIST_MODELS } from '../helpers/fake-openai-server.js';
import { makeManagerDeps, type TestDepsOptions } from '../helpers/manager-deps.js';
import { exposedText, leakedPieces } from '../helpers/secret-scan.js';
import { runManagerContract } from './manager-contract.js';
import { openAIHarness, openAIRichHarness } from './openai-harness.js';
import { runRichContract } from './rich-contract.js';
import { collectManagedSafely } from '../helpers/collect-managed.js';

runManagerContract('openai', () =>
  openAIHarness('gpt-4o-mini', (baseURL) => new OpenAIManager(makeManagerDeps(), { apiKey: 'sk-contract-openai-key-0001', baseURL, timeoutMs: 5_000 })),
);
runRichContract('openai', () =>
  openAIRichHarness('gpt-4o-mini', (baseURL) => new OpenAIManager(makeManagerDeps(), { apiKey: 'sk-contract-openai-key-0001', baseURL, timeoutMs: 5_000 })),
);

const KEY = 'sk-canary-openai-Zq8Xv3Lm9Tr2Wp5Ys7';
const MODEL = 'gpt-4o-mini';
const CATALOG = JSON.parse(readFileSync(new URL('../../config/models.json', import.meta.url), 'utf8')) as Record<string, CatalogEntry>;

function chat(modelId = MODEL, params: ProviderRequest['params'] = {}): ProviderRequest {
  return { modelId, messages: [{ role: 'user', content: 'Hello?' }], params, operation: 'chat' };
}

function context(): CallContext {
  return { signal: new AbortController().signal };
}

describe('OpenAIManager specifics', () => {
  let server: FakeOpenAIServer;
  const managers: OpenAIManager[] = [];
  const build = (deps: TestDepsOptions = {}, config: Partial<{ apiKey: string; baseURL: string; timeoutMs: number }> = {}, depsOverride?: ManagerDeps) => {
    const manager = new OpenAIManager(depsOverride ?? makeManagerDeps({ catalog: CATALOG, ...deps }), { apiKey: KEY, baseURL: server.baseURL, timeoutMs: 5_000, ...config });
    managers.push(manager);
    return manager;
  };

  beforeAll(async () => {
    server = await FakeOpenAIServer.start({ apiKey: KEY });
  });
  beforeEach(() => server.reset());
  afterAll(async () => {
    await Promise.all(managers.map((manager) => manager.close()));
    await server.close();
  });

  it('normalises usage: cached tokens are part of input, reasoning tokens part of output', async () => {
    server.script('gpt-4.1', { text: 'ok', usage: { promptTokens: 1_200, completionTokens: 300, cachedTokens: 1_000, reasoningTokens: 200 } });
    const result = await build().generateResponse(chat('gpt-4.1'), context());
    expect(result.usage).toEqual({ inputTokens: 1_200, outputTokens: 300, totalTokens: 1_500, cacheReadTokens: 1_000, reasoningTokens: 200 });
    // config/models.json: gpt-4.1 at $2 in, $0.50 cached in, $8 out per million tokens.
    expect(result.costUsd).toBeCloseTo((200 * 2 + 1_000 * 0.5 + 300 * 8) / 1e6, 12);
  });

  it('streams ask for the usage chunk and report its normalised usage', async () => {
    server.script(MODEL, { text: 'a b c', usage: { promptTokens: 50, completionTokens: 3, cachedTokens: 40 } });
    const { finish } = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(server.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(finish?.result.usage).toEqual({ inputTokens: 50, outputTokens: 3, totalTokens: 53, cacheReadTokens: 40 });
    expect(finish?.result.usageReported).toBe(true);
  });

  it('a stream that ends with [DONE] but without usage finishes, usage unknown', async () => {
    server.script(MODEL, { text: 'no usage here', usage: null });
    const { text, finish, error } = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(error).toBeUndefined();
    expect(text).toBe('no usage here');
    expect(finish?.result.usageReported).toBe(false);
    expect(finish?.result.costUsd).toBeNull();
  });

  it('a stream cut after every delta, before finish_reason, usage and [DONE], is an interruption', async () => {
    server.script(MODEL, { text: 'all of it', dieAfterChunks: 3, dieMode: 'end' });
    const { text, error } = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(text).toBe('all of it');
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialText).toBe('all of it');
  });

  it('a connection reset mid-stream is an interruption with the partial text', async () => {
    server.script(MODEL, { text: 'one two three', dieAfterChunks: 1, dieMode: 'reset' });
    const { error } = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).partialText).toBe('one ');
  });

  it('keep-alive comments do not hold a stalled stream open past the idle timeout', async () => {
    server.script(MODEL, { text: 'one two', dieAfterChunks: 1, dieMode: 'stall', keepAliveIntervalMs: 20 });
    const { error } = await collectManagedSafely(build({ resilience: { idleChunkTimeoutMs: 250 } }).streamResponse(chat(), context()));
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).cause).toBeInstanceOf(Error);
    expect((error as StreamInterruptedError).message).toMatch(/idle/);
  });

  it('a keep-alive-only stream fails with TimeoutError at the first-chunk timeout', async () => {
    server.script(MODEL, { kind: 'keep-alive-only', intervalMs: 20 });
    const { error } = await collectManagedSafely(build({ resilience: { firstChunkTimeoutMs: 250 } }).streamResponse(chat(), context()));
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it('an in-stream error event before any text fails the stream with a ProviderError', async () => {
    server.script(MODEL, { text: 'never', dieAfterChunks: 0, dieMode: 'error-event' });
    const { error } = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(error).toBeInstanceOf(ProviderError);
  });

  it('sends max_completion_tokens to reasoning models and max_tokens to the others', async () => {
    const manager = build();
    await manager.generateResponse(chat('o3-mini', { maxTokens: 50 }), context());
    await manager.generateResponse(chat('gpt-5-mini', { maxTokens: 60 }), context());
    await manager.generateResponse(chat('gpt-4o-mini', { maxTokens: 70 }), context());
    const bodies = server.requests.map((request) => request.body as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({ max_completion_tokens: 50 });
    expect(bodies[1]).toMatchObject({ max_completion_tokens: 60 });
    expect(bodies[2]).toMatchObject({ max_tokens: 70 });
    expect(bodies[0]).not.toHaveProperty('max_tokens');
    expect(bodies[2]).not.toHaveProperty('max_completion_tokens');
  });

  it.each([
    ['content_filter', 'content-filter'],
    ['tool_calls', 'tool-calls'],
    ['function_call', 'tool-calls'],
    ['something_new', 'other'],
  ])('maps finish_reason %s to %s', async (wire, ours) => {
    server.script(MODEL, { text: 'x', finishReason: wire });
    const result = await build().generateResponse(chat(), context());
    expect(result.finishReason).toBe(ours);
  });

  it('the SDK never retries: our loop makes every attempt (429 with retry-after-ms, twice, then success)', async () => {
    server.script(MODEL, { kind: 'status', status: 429, headers: { 'retry-after-ms': '10' } }, { kind: 'status', status: 429, headers: { 'retry-after-ms': '10' } }, { text: 'finally' });
    const result = await build({ resilience: { maxRetries: 2 } }).generateResponse(chat(), context());
    expect(result.text).toBe('finally');
    expect(result.attempts).toBe(3);
    expect(server.requestCount).toBe(3);
  });

  it('one request on a 500 when our retries are 0', async () => {
    server.script(MODEL, { kind: 'status', status: 500 }, { text: 'a second request would get this' });
    await expect(build().generateResponse(chat(), context())).rejects.toBeInstanceOf(ProviderError);
    expect(server.requestCount).toBe(1);
  });

  it('a missing key fails with AuthenticationError naming OPENAI_API_KEY, before any request', async () => {
    const manager = build({}, { apiKey: '' });
    const error = await manager.generateResponse(chat(), context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain('OPENAI_API_KEY');
    await expect(manager.listModels()).rejects.toBeInstanceOf(AuthenticationError);
    expect(manager.status()).toEqual({ name: 'openai', ready: false, reason: 'set OPENAI_API_KEY (providers.openai.apiKey)' });
    expect(server.requestCount).toBe(0);
  });

  it('the key never appears in errors, even when the server echoes it (masked or whole)', async () => {
    const wrongKey = 'sk-canary-wrong-Hb4Nc8Rd2Kf6Jg1Qs0';
    const rejected = await build({}, { apiKey: wrongKey }).generateResponse(chat(), context()).catch((caught: unknown) => caught);
    expect(rejected).toBeInstanceOf(AuthenticationError);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${wrongKey}`);
    server.script(MODEL, { kind: 'status', status: 500, message: `upstream failed for key ${KEY}` });
    const echoed = await build().generateResponse(chat(), context()).catch((caught: unknown) => caught);
    expect(echoed).toBeInstanceOf(ProviderError);
    expect(leakedPieces(exposedText(rejected), wrongKey)).toEqual([]);
    expect(leakedPieces(exposedText(echoed), KEY)).toEqual([]);
  });

  it('listModels lists the chat models the server has, with what the catalog knows', async () => {
    server.setModels(['gpt-4o-mini', 'text-embedding-3-small', 'whisper-1', 'ft:gpt-4o-mini:acme::abc123']);
    const models = await build().listModels();
    expect(models.map((model) => model.id)).toEqual(['openai:gpt-4o-mini', 'openai:ft:gpt-4o-mini:acme::abc123']);
    expect(models[0]!.pricing).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 });
    expect(models[1]!.pricing).toBeUndefined();
    server.script(LIST_MODELS, { kind: 'status', status: 503 });
    await expect(build().listModels()).rejects.toMatchObject({ status: 503, provider: 'openai' });
  });

  it('validateConfig names each bad key path', () => {
    expect(build().validateConfig()).toEqual({ ok: true, problems: [] });
    const bad = build({}, { baseURL: 'ftp://example.com/v1', timeoutMs: -5, apiKey: '${OPENAI_API_KEY}' }).validateConfig();
    expect(bad.ok).toBe(false);
    expect(bad.problems.map((problem) => problem.key)).toEqual(['providers.openai.baseURL', 'providers.openai.timeoutMs', 'providers.openai.apiKey']);
    expect(build({}, { baseURL: 'not a url' }).validateConfig().problems[0]!.key).toBe('providers.openai.baseURL');
  });

  it('reports the server address from the base URL and builds one SDK client per manager', async () => {
    const starts: unknown[] = [];
    const deps = makeManagerDeps({
      catalog: CATALOG,
      observer: {
        startCall: () => ({ parent: undefined, cacheLookup() {}, fallback() {}, end() {}, fail() {} }),
        startInference: (start) => {
          starts.push(start.server);
          return { retry() {}, firstChunk() {}, end() {}, fail() {} };
        },
      },
    });
    const manager = build({}, {}, deps);
    await manager.generateResponse(chat('gpt-4o'), context());
    await manager.generateResponse(chat('gpt-4o-mini'), context());
    const { port } = new URL(server.url);
    expect(starts).toEqual([{ address: '127.0.0.1', port: Number(port) }, { address: '127.0.0.1', port: Number(port) }]);
    const clients = await Promise.all(['gpt-4o', 'gpt-4o-mini'].map((id) => manager.getModel(id)));
    expect(clients[0]!.client).toBe(clients[1]!.client);
  });

  it('SDK log lines go to our logger, without the raw response text', async () => {
    const lines: string[] = [];
    const record = (message: string, fields?: Record<string, unknown>) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
    const deps = { ...makeManagerDeps({ catalog: CATALOG }), logger: { debug: record, info: record, warn: record, error: record } };
    server.script(MODEL, { kind: 'malformed' });
    const { error } = await collectManagedSafely(build({}, {}, deps).streamResponse(chat(), context()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(lines.some((line) => line.startsWith('openai SDK: Could not parse message into JSON'))).toBe(true);
    expect(lines.join('\n')).not.toContain('chatcmpl-malformed');
  });

  it('config/models.json: every openai entry is well formed and priced', () => {
    const catalog = new ModelCatalog(CATALOG);
    const openai = catalog.list().filter((info) => info.provider === 'openai');
    for (const id of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o1', 'o3', 'o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano']) {
      expect(openai.map((info) => info.model)).toContain(id);
    }
    for (const info of openai) {
      expect(info.contextWindow).toBeGreaterThan(info.maxOutputTokens ?? 0);
      expect(info.pricing!.inputPerMTok).toBeGreaterThan(0);
      // Embedding models have input tokens only: their output price is 0.
      if (info.kind === 'embedding') expect(info.pricing!.outputPerMTok).toBe(0);
      else expect(info.pricing!.outputPerMTok).toBeGreaterThanOrEqual(info.pricing!.inputPerMTok);
    }
    expect(openai.filter((info) => info.kind === 'embedding').map((info) => [info.model, info.pricing!.inputPerMTok])).toEqual([
      ['text-embedding-3-small', 0.02],
      ['text-embedding-3-large', 0.13],
      ['text-embedding-ada-002', 0.1],
    ]);
    expect(catalog.get('openai:gpt-3.5-turbo')!.deprecated?.replacement).toBeTruthy();
    // params.reasoning goes as reasoning_effort, which only the reasoning models take.
    for (const info of openai) expect(info.capabilities.reasoning).toBe(usesMaxCompletionTokens(info.model));
    expect(catalog.get('openai:o3-mini')!.capabilities.vision).toBe(false);
    // One `json` flag covers json_schema too, which gpt-3.5-turbo refuses (it has json_object only).
    expect(catalog.get('openai:gpt-3.5-turbo')!.capabilities.json).toBe(false);
  });
});

describe('OpenAIManager rich messages on the wire', () => {
  let server: FakeOpenAIServer;
  let manager: OpenAIManager;
  const weather = { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } };
  const CALL = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' };
  const ask = (fields: Partial<ProviderRequest> = {}): ProviderRequest => ({ ...chat(), ...fields });
  const lastBody = () => server.requests.at(-1)!.body as Record<string, unknown>;
  const parts = async (stream: AsyncIterable<ManagedStreamPart>) => {
    const out: ManagedStreamPart[] = [];
    for await (const part of stream) out.push(part);
    return out;
  };

  beforeAll(async () => {
    server = await FakeOpenAIServer.start();
    manager = new OpenAIManager(makeManagerDeps(), { apiKey: KEY, baseURL: server.baseURL, timeoutMs: 5_000 });
  });
  beforeEach(() => server.reset());
  afterAll(async () => {
    await manager.close();
    await server.close();
  });

  it('maps every rich field to its chat completions field; reasoning blocks stay home', async () => {
    await manager.generateResponse(
      ask({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'See' }, { type: 'image', url: 'https://example.com/a.png' }, { type: 'image', data: 'AAAA', mediaType: 'image/jpeg' }] },
          { role: 'assistant', content: null, toolCalls: [CALL], reasoning: [{ text: 'Thinking.', signature: 'sig' }] },
          { role: 'tool', toolCallId: 'call_1', content: '{"temp":3}' },
          { role: 'assistant', content: 'And?', toolCalls: [{ ...CALL, id: 'call_2' }] },
          { role: 'tool', toolCallId: 'call_2', content: '{}' },
        ],
        tools: [{ ...weather, strict: true }],
        toolChoice: { name: 'get_weather' },
        parallelToolCalls: false,
        responseFormat: { type: 'json_schema', schema: weather.parameters, strict: true },
        params: { reasoning: { effort: 'minimal' } },
        providerOptions: { openai: { user: 'u-7', service_tier: 'flex' } },
      }),
      context(),
    );
    expect(lastBody()).toEqual({
      model: MODEL,
      stream: false,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'See' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAAA' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":3}' },
        { role: 'assistant', content: 'And?', tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'call_2', content: '{}' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: weather.parameters, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'response', schema: weather.parameters, strict: true } },
      reasoning_effort: 'minimal',
      user: 'u-7',
      service_tier: 'flex',
    });
  });

  it('json asks for json_object; text sends no response_format', async () => {
    server.script(MODEL, { text: '{"a":1}' }, { text: 'plain' });
    await manager.generateResponse(ask({ responseFormat: { type: 'json' } }), context());
    expect(lastBody().response_format).toEqual({ type: 'json_object' });
    await manager.generateResponse(ask({ responseFormat: { type: 'text' } }), context());
    expect(lastBody()).not.toHaveProperty('response_format');
  });

  it('without tools, toolChoice none and parallelToolCalls send nothing (OpenAI answers them alone with 400)', async () => {
    await manager.generateResponse(ask({ toolChoice: 'none', parallelToolCalls: true }), context());
    expect(Object.keys(lastBody()).filter((key) => key.includes('tool'))).toEqual([]);
  });

  it('refuses a providerOption naming a field the request sets, and a thinking budget next to an effort, before any request', async () => {
    const error = await manager.generateResponse(ask({ providerOptions: { openai: { tools: [] } } }), context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toContain('providerOptions.openai.tools');
    expect(() => manager.streamResponse(ask({ params: { reasoning: { effort: 'high', maxTokens: 1_000 } } }), context())).toThrow(/params\.reasoning\.maxTokens/);
    expect(server.requestCount).toBe(0);
  });

  it('a structured-output refusal is the text, with finishReason content-filter (JSON and streamed)', async () => {
    server.script(MODEL, { refusal: 'I cannot help with that.' }, { refusal: 'I cannot help with that.' });
    const result = await manager.generateResponse(ask({ responseFormat: { type: 'json' } }), context());
    expect(result).toMatchObject({ text: 'I cannot help with that.', finishReason: 'content-filter', toolCalls: [] });
    const { text, finish } = await collectManagedSafely(manager.streamResponse(ask(), context()));
    expect(text).toBe('I cannot help with that.');
    expect(finish?.result.finishReason).toBe('content-filter');
  });

  it('streams calls one after the other: id and name on the first piece, arguments in fragments', async () => {
    const second = { id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' };
    server.script(MODEL, { toolCalls: [CALL, second], toolCallOrder: 'sequential' });
    const streamed = await parts(manager.streamResponse(ask({ tools: [weather] }), context()));
    const deltas = streamed.filter((part) => part.type === 'tool-call-delta');
    expect(deltas[0]).toEqual({ type: 'tool-call-delta', index: 0, id: 'call_1', name: 'get_weather', argumentsDelta: '' });
    expect(deltas.filter((part) => part.index === 0).slice(1).every((part) => part.id === undefined && part.name === undefined)).toBe(true);
    expect(deltas.length).toBeGreaterThan(4);
    const finish = streamed.at(-1);
    expect(finish?.type === 'finish' && finish.result).toMatchObject({ finishReason: 'tool-calls', toolCalls: [CALL, second], text: '' });
  });

  it('tool calls that end on a plain stop (vLLM, Ollama) still finish as tool-calls', async () => {
    server.script(MODEL, { toolCalls: [CALL], finishReason: 'stop' });
    const result = await manager.generateResponse(ask({ tools: [weather] }), context());
    expect(result).toMatchObject({ finishReason: 'tool-calls', toolCalls: [CALL] });
  });

  it('tool_calls that are not function calls are a malformed answer (retryable), not an empty one', async () => {
    const body = (toolCalls: unknown) => ({ id: 'x', object: 'chat.completion', created: 1, model: MODEL, choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: toolCalls }, finish_reason: 'tool_calls' }] });
    server.script(MODEL, { kind: 'status', status: 200, body: body({ id: 'c' }) }, { kind: 'status', status: 200, body: body([{ id: 'c', type: 'function', function: { arguments: '{}' } }]) });
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await manager.generateResponse(ask({ tools: [weather] }), context()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).retryable).toBe(true);
    }
  });
});
