/**
 * The fake provider servers themselves, driven by the real SDKs: every chaos fault RELIABILITY.md
 * lists, the endpoints other providers use (/v1/completions for HuggingFace text generation), the
 * script queues and the connection accounting the leak tests rely on.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { AbortError, ProviderError, RateLimitError, StreamInterruptedError, TimeoutError } from '../../src/core/errors.js';
import type { CallContext, ManagedStreamPart, ProviderRequest } from '../../src/core/types.js';
import { OpenAIManager } from '../../src/managers/openai/openai-manager.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { ANY_MODEL, FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { makeManagerDeps, type TestDepsOptions } from '../helpers/manager-deps.js';

const MODEL = 'gpt-4o-mini';

function chat(params: ProviderRequest['params'] = {}): ProviderRequest {
  return { modelId: MODEL, messages: [{ role: 'user', content: 'ping' }], params, operation: 'chat' };
}

function context(signal = new AbortController().signal): CallContext {
  return { signal };
}

async function drain(stream: AsyncIterable<ManagedStreamPart>): Promise<{ text: string; error?: unknown }> {
  let text = '';
  try {
    for await (const part of stream) if (part.type === 'text-delta') text += part.text;
  } catch (error) {
    return { text, error };
  }
  return { text };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('FakeOpenAIServer', () => {
  let server: FakeOpenAIServer;
  const manager = (deps: TestDepsOptions = {}) => new OpenAIManager(makeManagerDeps(deps), { apiKey: 'sk-fake-server-key-0001', baseURL: server.baseURL, timeoutMs: 5_000 });

  beforeAll(async () => {
    server = await FakeOpenAIServer.start();
  });
  beforeEach(() => server.reset());
  afterAll(() => server.close());

  it('answers with a deterministic echo and word-count usage when nothing is scripted', async () => {
    const result = await manager().generateResponse(chat(), context());
    expect(result.text).toBe('echo: ping');
    expect(result.usage).toMatchObject({ inputTokens: 1, outputTokens: 2 });
  });

  it('connection reset before headers and after headers are retryable connection failures', async () => {
    server.script(MODEL, { kind: 'reset-before-headers' }, { kind: 'reset-after-headers' });
    const before = await manager().generateResponse(chat(), context()).catch((error: unknown) => error);
    const after = await manager().generateResponse(chat(), context()).catch((error: unknown) => error);
    for (const error of [before, after]) {
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).retryable).toBe(true);
    }
  });

  it('429 with retry-after carries the delay; quota 429 is not retryable', async () => {
    server.script(MODEL, { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, { kind: 'status', status: 429, code: 'insufficient_quota' });
    const limited = await manager().generateResponse(chat(), context()).catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect(limited).toMatchObject({ retryAfterMs: 1_000, retryable: true });
    const quota = await manager().generateResponse(chat(), context()).catch((error: unknown) => error);
    expect(quota).toMatchObject({ code: 'rate_limit', retryable: false });
  });

  it('a delay before answering runs into the call timeout', async () => {
    server.script(MODEL, { text: 'too late', delayMs: 2_000 });
    const error = await manager().generateResponse(chat({ timeoutMs: 150 }), context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TimeoutError);
  });

  it('a slow trickle passes under a patient idle timeout and is cut under a strict one', async () => {
    server.script(MODEL, { text: 'a b c', chunkDelayMs: 60 }, { text: 'a b c', chunkDelayMs: 400 });
    expect(await drain(manager({ resilience: { idleChunkTimeoutMs: 1_000 } }).streamResponse(chat(), context()))).toEqual({ text: 'a b c' });
    const cut = await drain(manager({ resilience: { idleChunkTimeoutMs: 150, firstChunkTimeoutMs: 1_000 } }).streamResponse(chat(), context()));
    expect(cut.error).toBeInstanceOf(StreamInterruptedError);
  });

  it('malformed SSE data fails the stream', async () => {
    server.script(MODEL, { kind: 'malformed' });
    expect((await drain(manager().streamResponse(chat(), context()))).error).toBeInstanceOf(ProviderError);
  });

  it('ANY_MODEL steps and the responder apply when a model has nothing queued', async () => {
    server.script(ANY_MODEL, { text: 'from any' });
    server.respondWith((_request, model) => (model === MODEL ? { kind: 'status', status: 503 } : undefined));
    expect((await manager().generateResponse(chat(), context())).text).toBe('from any');
    await expect(manager().generateResponse(chat(), context())).rejects.toMatchObject({ status: 503 });
    server.script(MODEL, { text: 'own queue first' });
    expect((await manager().generateResponse(chat(), context())).text).toBe('own queue first');
  });

  it('an aborted hang leaves nothing in flight, and close() ends open sockets', async () => {
    server.script(MODEL, { kind: 'hang' });
    const controller = new AbortController();
    const pending = manager().generateResponse(chat(), context(controller.signal)).catch((error: unknown) => error);
    await until(() => server.inFlight === 1);
    expect(server.openSockets).toBeGreaterThan(0);
    controller.abort();
    expect(await pending).toBeInstanceOf(AbortError);
    await until(() => server.inFlight === 0);
  });

  it('serves /v1/completions in JSON and as a stream with a usage chunk', async () => {
    const client = new OpenAI({ apiKey: 'sk-fake-server-key-0001', baseURL: server.baseURL, maxRetries: 0 });
    server.script('gpt-3.5-turbo-instruct', { text: 'plain completion', usage: { promptTokens: 3, completionTokens: 2 } });
    const completion = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say it' });
    expect(completion.choices[0]!.text).toBe('plain completion');
    expect(completion.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say it', stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('echo: Say it');
    expect(usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3 });
  });
});

describe('FakeAnthropicServer', () => {
  let server: FakeAnthropicServer;
  let client: Anthropic;

  beforeAll(async () => {
    server = await FakeAnthropicServer.start({ apiKey: 'sk-ant-fake-server-0001' });
    client = new Anthropic({ apiKey: 'sk-ant-fake-server-0001', baseURL: server.url, maxRetries: 0, openTelemetry: false });
  });
  beforeEach(() => server.reset());
  afterAll(() => server.close());

  const ask = { model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user' as const, content: 'Hello' }] };

  it('rejects sampling parameters the way API version 2026-10-21 does', async () => {
    const body = { ...ask, temperature: 1 } as typeof ask;
    await expect(client.messages.create(body)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('temperature: Extra inputs are not permitted') });
  });

  it('529 uses the overloaded_error body; a wrong key gets authentication_error', async () => {
    server.script('claude-haiku-4-5', { kind: 'status', status: 529 });
    await expect(client.messages.create(ask)).rejects.toMatchObject({ status: 529, error: { type: 'error', error: { type: 'overloaded_error' } } });
    const stranger = new Anthropic({ apiKey: 'sk-ant-wrong-0000000', baseURL: server.url, maxRetries: 0, openTelemetry: false });
    await expect(stranger.messages.create(ask)).rejects.toMatchObject({ status: 401, error: { error: { type: 'authentication_error' } } });
  });

  it('streams the real event sequence, which the SDK helper accumulates into a message', async () => {
    server.script('claude-haiku-4-5', { text: 'Hi there', usage: { inputTokens: 5, outputTokens: 2, cacheReadInputTokens: 7 } });
    const message = await client.messages.stream(ask).finalMessage();
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hi there' })]);
    expect(message.usage).toMatchObject({ input_tokens: 5, output_tokens: 2, cache_read_input_tokens: 7 });
    expect(message.stop_reason).toBe('end_turn');
  });
});
