/**
 * OllamaManager against a fake Ollama server on 127.0.0.1 speaking the native wire format:
 * JSON and NDJSON answers, options and keep_alive on the wire, usage, interrupted streams,
 * error bodies, and discovery through /api/tags and /api/show.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { OllamaProviderConfig } from '../../src/managers/ollama/ollama-config.js';
import { AbortError, NoSuchModelError, ProviderError, StreamInterruptedError } from '../../src/core/errors.js';
import type { CallParams, ProviderRequest } from '../../src/core/types.js';
import { OllamaManager } from '../../src/managers/ollama/ollama-manager.js';
import { startFakeOllamaServer, type FakeOllamaServer } from '../helpers/fake-ollama-server.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import type { ContractHarness, RecordedRequest } from './contract-harness.js';
import { runManagerContract } from './manager-contract.js';
import { collectManaged } from '../helpers/collect-managed.js';

const MODEL = 'llama3.2';

function config(server: FakeOllamaServer, overrides: Partial<OllamaProviderConfig> = {}): OllamaProviderConfig {
  return { baseURL: server.url, timeoutMs: 5_000, keepAlive: '', ...overrides };
}

function chat(params: CallParams = {}, operation: ProviderRequest['operation'] = 'chat'): ProviderRequest {
  return { modelId: MODEL, operation, params, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi there' }] };
}

/** Ollama's `options` in our parameter names. */
function ollamaParamsOnWire(request: RecordedRequest): CallParams {
  const options = ((request.body as { options?: Record<string, unknown> })?.options ?? {}) as Record<string, unknown>;
  const wire: Record<string, unknown> = {
    temperature: options.temperature,
    maxTokens: options.num_predict,
    topP: options.top_p,
    frequencyPenalty: options.frequency_penalty,
    presencePenalty: options.presence_penalty,
    stop: options.stop,
    seed: options.seed,
  };
  for (const key of Object.keys(wire)) if (wire[key] === undefined) delete wire[key];
  return wire as CallParams;
}

async function ollamaHarness(): Promise<ContractHarness> {
  const server = await startFakeOllamaServer();
  return {
    manager: new OllamaManager(makeManagerDeps(), config(server)),
    modelId: MODEL,
    reply: (reply) => server.reply(MODEL, reply),
    fail: (failure) => server.fail(MODEL, failure),
    hang: () => server.hang(MODEL),
    dieMidStream: (reply, afterChunks) => server.interrupt(MODEL, reply, afterChunks, 'end'),
    requests: () => server.requests(),
    paramsOnWire: ollamaParamsOnWire,
    supportedParams: ['temperature', 'maxTokens', 'topP', 'frequencyPenalty', 'presencePenalty', 'stop', 'seed'],
    reportsUsage: true,
    close: () => server.close(),
  };
}

runManagerContract('ollama', ollamaHarness);

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
