/**
 * HuggingFaceManager: the real `@huggingface/inference` client against the fake OpenAI-shaped
 * server on 127.0.0.1 (what TGI's Messages API and Inference Providers speak), through endpointUrl,
 * and through the Inference Providers router by model id (its host mapped to the fake by `fetch`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { HuggingFaceProviderConfig } from '../../src/managers/huggingface/huggingface-config.js';
import { AuthenticationError, InvalidRequestError, ProviderError, RateLimitError } from '../../src/core/errors.js';
import type { CallParams, ProviderRequest } from '../../src/core/types.js';
import { HuggingFaceManager } from '../../src/managers/huggingface/huggingface-manager.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import { runManagerContract } from './manager-contract.js';
import { openAIHarness, openAIRichHarness } from './openai-harness.js';
import { runRichContract } from './rich-contract.js';
import type { RichCapabilities } from './contract-harness.js';
import { collectManaged } from '../helpers/collect-managed.js';

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const TOKEN = 'hf_contractTokenValue0001';

runManagerContract('huggingface', () =>
  openAIHarness(MODEL, (baseURL) => new HuggingFaceManager(makeManagerDeps(), { apiKey: TOKEN, endpointUrl: baseURL, timeoutMs: 5_000 })),
);
/** HuggingFace chat completion: OpenAI's wire for tools, images and JSON; no reasoning setting. */
const HF_RICH: RichCapabilities = { tools: true, vision: 'url-and-base64', json: true, reasoning: false, returnsReasoning: false, sendsReasoningBack: false };
runRichContract('huggingface', () =>
  openAIRichHarness(MODEL, (baseURL) => new HuggingFaceManager(makeManagerDeps(), { apiKey: TOKEN, endpointUrl: baseURL, timeoutMs: 5_000 }), HF_RICH),
);

function chat(params: CallParams = {}, operation: ProviderRequest['operation'] = 'chat'): ProviderRequest {
  return { modelId: MODEL, operation, params, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }] };
}

describe('HuggingFaceManager', () => {
  let server: FakeOpenAIServer;
  const context = () => ({ signal: new AbortController().signal });
  const config = (overrides: Partial<HuggingFaceProviderConfig> = {}): HuggingFaceProviderConfig => ({ apiKey: TOKEN, endpointUrl: server.url, timeoutMs: 5_000, ...overrides });
  const body = (index: number) => server.requests[index]!.body as Record<string, unknown>;

  beforeAll(async () => {
    server = await FakeOpenAIServer.start();
  });
  afterAll(async () => {
    await server.close();
  });

  it('chats through <endpointUrl>/v1/chat/completions with the token and every parameter', async () => {
    const manager = new HuggingFaceManager(makeManagerDeps(), config());
    server.script(MODEL, { text: 'Hello!', usage: { promptTokens: 11, completionTokens: 2 }, finishReason: 'stop' });
    const before = server.requests.length;
    const result = await manager.generateResponse(chat({ temperature: 0.3, maxTokens: 50, topP: 0.8, stop: 'END', seed: 5, frequencyPenalty: 0.2, presencePenalty: 0.1 }), context());
    expect(result).toMatchObject({ text: 'Hello!', finishReason: 'stop', usage: { inputTokens: 11, outputTokens: 2, totalTokens: 13 }, usageReported: true, responseModel: MODEL });
    const sent = server.requests[before]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(sent.body).toEqual({
      model: MODEL,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }],
      temperature: 0.3,
      max_tokens: 50,
      top_p: 0.8,
      stop: ['END'],
      seed: 5,
      frequency_penalty: 0.2,
      presence_penalty: 0.1,
    });
  });

  it('generates text through /v1/completions, keeping the usage and finish reason the library drops', async () => {
    const manager = new HuggingFaceManager(makeManagerDeps(), config());
    server.script(MODEL, { text: 'Once upon', usage: { promptTokens: 6, completionTokens: 2 }, finishReason: 'length' });
    const before = server.requests.length;
    const result = await manager.generateResponse(chat({ maxTokens: 2 }, 'text_completion'), context());
    expect(result).toMatchObject({ text: 'Once upon', finishReason: 'length', usage: { inputTokens: 6, outputTokens: 2, totalTokens: 8 }, usageReported: true });
    expect(server.requests[before]!.path).toBe('/v1/completions');
    expect(body(before)).toEqual({ model: MODEL, prompt: 'Be brief.\n\nHi there', max_tokens: 2 });
  });

  it('streams chat and text generation with the usage chunk it asks for', async () => {
    const manager = new HuggingFaceManager(makeManagerDeps(), config());
    for (const operation of ['chat', 'text_completion'] as const) {
      server.script(MODEL, { text: 'a b c', chunks: ['a ', 'b ', 'c'], usage: { promptTokens: 4, completionTokens: 3 } });
      const before = server.requests.length;
      const { deltas, finish } = await collectManaged(manager.streamResponse(chat({}, operation), context()));
      expect(deltas).toEqual(['a ', 'b ', 'c']);
      expect(finish?.result).toMatchObject({ text: 'a b c', finishReason: 'stop', usage: { inputTokens: 4, outputTokens: 3, totalTokens: 7 }, usageReported: true });
      expect(body(before)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(server.requests[before]!.path).toBe(operation === 'chat' ? '/v1/chat/completions' : '/v1/completions');
    }
  });

  it('leaves usage undefined and cost null when the server reports none', async () => {
    const manager = new HuggingFaceManager(makeManagerDeps({ catalog: { [`huggingface:${MODEL}`]: { pricing: { inputPerMTok: 1, outputPerMTok: 1 } } } }), config());
    server.script(MODEL, { text: 'no usage', usage: null }, { text: 'x y', chunks: ['x ', 'y'], usage: null }, { text: 'plain', usage: null });
    const result = await manager.generateResponse(chat(), context());
    expect(result.usageReported).toBe(false);
    expect(result.costUsd).toBeNull();
    const { finish } = await collectManaged(manager.streamResponse(chat(), context()));
    expect(finish?.result.usageReported).toBe(false);
    expect(finish?.result.costUsd).toBeNull();
    const generated = await manager.generateResponse(chat({}, 'text_completion'), context());
    expect(generated.usageReported).toBe(false);
    expect(generated.costUsd).toBeNull();
    server.script(MODEL, { text: 'priced', usage: { promptTokens: 1_000_000, completionTokens: 1_000_000 } });
    expect((await manager.generateResponse(chat(), context())).costUsd).toBe(2);
  });

  it('sends a 503 once when our retries are off (the library would re-send it without limit)', async () => {
    const manager = new HuggingFaceManager(makeManagerDeps(), config());
    server.script(MODEL, { kind: 'status', status: 503 }, { text: 'would have been the silent retry' });
    const before = server.requests.length;
    const failure = await manager.generateResponse(chat(), context()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).status).toBe(503);
    expect(server.requests.length - before).toBe(1);
    expect(server.pending(MODEL)).toBe(1);
    server.reset();
  });

  it('keeps Retry-After from the response headers for the base retry loop', async () => {
    const manager = new HuggingFaceManager(makeManagerDeps(), config());
    server.script(MODEL, { kind: 'status', status: 429, headers: { 'retry-after-ms': '1234' } });
    const failure = await manager.generateResponse(chat(), context()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RateLimitError);
    expect((failure as RateLimitError).retryAfterMs).toBe(1234);
  });

  it('reaches Inference Providers by model id through the router, with the HF token', async () => {
    const seen: string[] = [];
    const router: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      seen.push(url);
      return fetch(url.replace('https://router.huggingface.co', server.url), init);
    };
    const manager = new HuggingFaceManager(makeManagerDeps(), config({ endpointUrl: '', fetch: router }));
    server.script(MODEL, { text: 'routed', usage: { promptTokens: 3, completionTokens: 1 } });
    const before = server.requests.length;
    const result = await manager.generateResponse(chat(), context());
    expect(result.text).toBe('routed');
    expect(seen).toEqual(['https://router.huggingface.co/v1/chat/completions']);
    expect(server.requests[before]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(body(before).model).toBe(MODEL);
  });

  it('is not ready without a token or endpoint, and fails before any request; an endpoint needs no token', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls++;
      return fetch(input, init);
    };
    const bare = new HuggingFaceManager(makeManagerDeps(), config({ apiKey: '', endpointUrl: '', fetch: counting }));
    expect(bare.status()).toEqual({ name: 'huggingface', ready: false, reason: 'set HF_TOKEN (providers.huggingface.apiKey)' });
    await expect(bare.generateResponse(chat(), context())).rejects.toBeInstanceOf(AuthenticationError);
    expect(calls).toBe(0);
    const open = new HuggingFaceManager(makeManagerDeps(), config({ apiKey: '' }));
    expect(open.status().ready).toBe(true);
    const before = server.requests.length;
    await open.generateResponse(chat(), context());
    expect(server.requests[before]!.headers.authorization).toBeUndefined();
  });

  it('never shows the token in an authentication error', async () => {
    const guarded = await FakeOpenAIServer.start({ apiKey: 'hf_theRightTokenForThisServer' });
    try {
      const manager = new HuggingFaceManager(makeManagerDeps(), config({ endpointUrl: guarded.url }));
      const failure = await manager.generateResponse(chat(), context()).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(AuthenticationError);
      expect(JSON.stringify((failure as AuthenticationError).toJSON())).not.toContain(TOKEN.slice(0, 8));
      expect((failure as Error).message).not.toContain(TOKEN.slice(-8));
    } finally {
      await guarded.close();
    }
  });

  it('validates the endpoint URL', () => {
    expect(new HuggingFaceManager(makeManagerDeps(), config()).validateConfig()).toEqual({ ok: true, problems: [] });
    const bad = new HuggingFaceManager(makeManagerDeps(), config({ endpointUrl: 'tgi.internal:8080' }));
    expect(bad.validateConfig().problems.map((problem) => problem.key)).toEqual(['providers.huggingface.endpointUrl']);
  });
});

describe('HuggingFaceManager rich messages', () => {
  let server: FakeOpenAIServer;
  let manager: HuggingFaceManager;
  const context = () => ({ signal: new AbortController().signal });
  const weather = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
  const ask = (fields: Partial<ProviderRequest> = {}): ProviderRequest => ({ ...chat(), ...fields });
  /** A chat completion body as TGI sends it (the library checks nothing on an endpoint's answer). */
  const tgiAnswer = (message: Record<string, unknown>, finish: string) => ({
    kind: 'status' as const,
    status: 200,
    body: { id: '', object: 'chat.completion', created: 1, model: MODEL, system_fingerprint: '3.0.0', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } },
  });

  beforeAll(async () => {
    server = await FakeOpenAIServer.start();
    manager = new HuggingFaceManager(makeManagerDeps(), { apiKey: TOKEN, endpointUrl: server.url, timeoutMs: 5_000 });
  });
  beforeEach(() => server.reset());
  afterAll(async () => {
    await server.close();
  });

  it('sends tools, tool choice, images and a JSON schema in the shapes the library types', async () => {
    await manager.generateResponse(
      ask({
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Where?' }, { type: 'image', data: 'AAAA', mediaType: 'image/png' }] }],
        tools: [weather],
        toolChoice: { name: 'get_weather' },
        responseFormat: { type: 'json_schema', name: 'place', schema: weather.parameters },
      }),
      context(),
    );
    expect(server.requests[0]!.body).toEqual({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Where?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather.parameters } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema: weather.parameters } },
    });
  });

  it('a generate with tools or a JSON format goes to chat completion; a plain one to /v1/completions', async () => {
    await manager.generateResponse(ask({ operation: 'text_completion', tools: [weather] }), context());
    await manager.generateResponse(ask({ operation: 'text_completion', responseFormat: { type: 'json' } }), context());
    await manager.generateResponse(ask({ operation: 'text_completion', responseFormat: { type: 'text' } }), context());
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions', '/v1/completions']);
    expect(server.requests[1]!.body).toMatchObject({ response_format: { type: 'json_object' } });
  });

  it("reads TGI's tool calls: arguments as an object, an empty id, finish_reason eos_token", async () => {
    server.script(MODEL, tgiAnswer({ tool_calls: [{ id: '', type: 'function', function: { name: 'get_weather', arguments: { city: 'Bern' } } }] }, 'eos_token'));
    const result = await manager.generateResponse(ask({ tools: [weather] }), context());
    expect(result).toMatchObject({ text: '', finishReason: 'tool-calls', toolCalls: [{ id: 'call_0', name: 'get_weather', arguments: '{"city":"Bern"}' }] });
  });

  it('returns the reasoning an endpoint sends (vLLM behind an endpoint), though it cannot set one', async () => {
    server.script(MODEL, { text: 'Yes.', reasoning: 'Check first.' }, { text: 'Yes.', reasoning: 'Check first.' });
    expect((await manager.generateResponse(ask(), context())).reasoning).toEqual([{ text: 'Check first.' }]);
    const { text, finish } = await collectManaged(manager.streamResponse(ask(), context()));
    expect(text).toBe('Yes.');
    expect(finish?.result.reasoning).toEqual([{ text: 'Check first.' }]);
  });

  it('streams tool calls through chatCompletionStream, one after the other', async () => {
    const calls = [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Graz"}' }, { id: 'call_b', name: 'get_weather', arguments: '{"city":"Linz"}' }];
    server.script(MODEL, { toolCalls: calls, toolCallOrder: 'sequential' });
    const { finish } = await collectManaged(manager.streamResponse(ask({ tools: [weather] }), context()));
    expect(finish?.result).toMatchObject({ finishReason: 'tool-calls', toolCalls: calls });
  });

  it('providerOptions.huggingface reach the body, but never the arguments that pick the endpoint or the token', async () => {
    await manager.generateResponse(ask({ providerOptions: { huggingface: { top_k: 5 } } }), context());
    expect(server.requests[0]!.body).toMatchObject({ top_k: 5 });
    for (const key of ['endpointUrl', 'accessToken', 'provider']) {
      const error = await manager.generateResponse(ask({ providerOptions: { huggingface: { [key]: 'https://elsewhere.example' } } }), context()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toContain(`providerOptions.huggingface.${key}`);
    }
    expect(server.requestCount).toBe(1);
  });
});
