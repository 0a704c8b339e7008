/**
 * AnthropicManager: the shared manager and rich-message contracts, then what is particular to
 * Anthropic (rich messages in anthropic-rich.test.ts), all through the real `@anthropic-ai/sdk`
 * against FakeAnthropicServer on 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AuthenticationError, InvalidRequestError, ProviderError, StreamInterruptedError } from '../../src/core/errors.js';
import type { CallContext, ChatMessage, ProviderRequest } from '../../src/core/types.js';
import { AnthropicManager } from '../../src/managers/anthropic/anthropic-manager.js';
import { ModelCatalog, type CatalogEntry } from '../../src/registry/model-catalog.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { makeManagerDeps, type TestDepsOptions } from '../helpers/manager-deps.js';
import { exposedText, leakedPieces } from '../helpers/secret-scan.js';
import { anthropicHarness } from './anthropic-harness.js';
import { runManagerContract } from './manager-contract.js';
import { runRichContract } from './rich-contract.js';
import { collectManagedSafely } from '../helpers/collect-managed.js';

const contractHarness = () =>
  anthropicHarness('claude-haiku-4-5', (baseURL) => new AnthropicManager(makeManagerDeps(), { apiKey: 'sk-ant-contract-key-0001', baseURL, timeoutMs: 5_000, defaultMaxTokens: 256 }));
runManagerContract('anthropic', contractHarness);
runRichContract('anthropic', contractHarness);

const KEY = 'sk-ant-canary-Wm3Px9Qk2Zr7Lv5Tb8';
const MODEL = 'claude-haiku-4-5';
const CATALOG = JSON.parse(readFileSync(new URL('../../config/models.json', import.meta.url), 'utf8')) as Record<string, CatalogEntry>;
const HELLO: ChatMessage[] = [{ role: 'user', content: 'Hello?' }];

function chat(messages: ChatMessage[] = HELLO, params: ProviderRequest['params'] = {}): ProviderRequest {
  return { modelId: MODEL, messages, params, operation: 'chat' };
}

function context(): CallContext {
  return { signal: new AbortController().signal };
}

describe('AnthropicManager specifics', () => {
  let server: FakeAnthropicServer;
  const build = (deps: TestDepsOptions = {}, config: Partial<{ apiKey: string; baseURL: string; timeoutMs: number; defaultMaxTokens: number }> = {}) =>
    new AnthropicManager(makeManagerDeps({ catalog: CATALOG, ...deps }), { apiKey: KEY, baseURL: server.url, timeoutMs: 5_000, defaultMaxTokens: 321, ...config });
  const lastBody = () => server.requests[server.requests.length - 1]!.body as Record<string, unknown>;

  beforeAll(async () => {
    server = await FakeAnthropicServer.start({ apiKey: KEY });
  });
  beforeEach(() => server.reset());
  afterAll(() => server.close());

  const cachedUsage = { inputTokens: 100, outputTokens: 50, cacheReadInputTokens: 2_000, cacheCreationInputTokens: 300, thinkingTokens: 20 };
  const normalised = { inputTokens: 2_400, outputTokens: 50, totalTokens: 2_450, cacheReadTokens: 2_000, cacheWriteTokens: 300, reasoningTokens: 20 };

  it('normalises usage: input includes cache reads and writes; thinking tokens are reasoning', async () => {
    server.script(MODEL, { text: 'ok', usage: cachedUsage });
    const result = await build().generateResponse(chat(), context());
    expect(result.usage).toEqual(normalised);
    // config/models.json: claude-haiku-4-5 at $1 in, $0.10 cache read, $1.25 cache write, $5 out.
    expect(result.costUsd).toBeCloseTo((100 * 1 + 2_000 * 0.1 + 300 * 1.25 + 50 * 5) / 1e6, 12);
  });

  it('streams report the same usage from message_start and message_delta', async () => {
    server.script(MODEL, { text: 'one two three', usage: cachedUsage });
    const { text, finish } = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(text).toBe('one two three');
    expect(finish?.result.usage).toEqual(normalised);
    expect(finish?.result.id).toMatch(/^msg_/);
  });

  it('sends system messages as `system`, the default max_tokens, stop as stop_sequences', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'How are you?' },
    ];
    const params = { stop: 'STOP' };
    const result = await build().generateResponse(chat(messages, params), context());
    expect(result.finishReason).toBe('stop');
    expect(lastBody()).toEqual({
      model: MODEL,
      max_tokens: 321,
      system: 'Be brief.\n\nAnswer in French.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'How are you?' },
      ],
      stop_sequences: ['STOP'],
      stream: false,
    });
    expect(server.requests[0]!.headers['anthropic-version']).toBe('2026-10-21');
  });

  it('a conversation with only system messages is an InvalidRequestError before any request', async () => {
    const error = await build().generateResponse(chat([{ role: 'system', content: 'alone' }]), context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(/user message/);
    expect(server.requestCount).toBe(0);
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool-calls'],
    ['refusal', 'content-filter'],
    ['pause_turn', 'other'],
  ])('maps stop_reason %s to %s, in JSON and in streams', async (wire, ours) => {
    server.script(MODEL, { text: 'x', finishReason: wire }, { text: 'y', finishReason: wire });
    const manager = build();
    expect((await manager.generateResponse(chat(), context())).finishReason).toBe(ours);
    expect((await collectManagedSafely(manager.streamResponse(chat(), context()))).finish?.result.finishReason).toBe(ours);
  });

  it('529 overloaded is a retryable ProviderError, and the SDK itself never retries', async () => {
    server.script(MODEL, { kind: 'status', status: 529 });
    const error = await build().generateResponse(chat(), context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 529, retryable: true });
    expect(server.requestCount).toBe(1);
    server.script(MODEL, { kind: 'status', status: 529 }, { kind: 'status', status: 429, headers: { 'retry-after': '0' } }, { text: 'third time' });
    const result = await build({ resilience: { maxRetries: 2 } }).generateResponse(chat(), context());
    expect(result).toMatchObject({ text: 'third time', attempts: 3 });
    expect(server.requestCount).toBe(4);
  });

  it('a stream without message_stop is an interruption, even when all text arrived', async () => {
    server.script(MODEL, { text: 'every word', dieAfterChunks: 2, dieMode: 'end' });
    const { text, error } = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(text).toBe('every word');
    expect(error).toBeInstanceOf(StreamInterruptedError);
  });

  it('a connection reset or an overloaded event mid-stream is an interruption with the partial text', async () => {
    server.script(MODEL, { text: 'one two three', dieAfterChunks: 1, dieMode: 'reset' }, { text: 'four five six', dieAfterChunks: 2, dieMode: 'error-event' });
    const reset = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(reset.error).toBeInstanceOf(StreamInterruptedError);
    expect((reset.error as StreamInterruptedError).partialText).toBe('one ');
    const overloaded = await collectManagedSafely(build().streamResponse(chat(), context()));
    expect(overloaded.error).toBeInstanceOf(StreamInterruptedError);
    expect((overloaded.error as StreamInterruptedError).partialText).toBe('four five ');
  });

  it('a missing key fails with AuthenticationError naming ANTHROPIC_API_KEY, before any request', async () => {
    const manager = build({}, { apiKey: '' });
    const error = await manager.generateResponse(chat(), context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as Error).message).toContain('ANTHROPIC_API_KEY');
    expect(manager.status()).toEqual({ name: 'anthropic', ready: false, reason: 'set ANTHROPIC_API_KEY (providers.anthropic.apiKey)' });
    await expect(manager.listModels()).rejects.toBeInstanceOf(AuthenticationError);
    expect(server.requestCount).toBe(0);
  });

  it('the key never appears in errors, even when the server echoes it', async () => {
    const wrongKey = 'sk-ant-canary-wrong-Jd5Fh1Ks9Lq3';
    const rejected = await build({}, { apiKey: wrongKey }).generateResponse(chat(), context()).catch((caught: unknown) => caught);
    expect(rejected).toBeInstanceOf(AuthenticationError);
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${wrongKey}`);
    server.script(MODEL, { kind: 'status', status: 500, message: `internal error for ${KEY}` });
    const echoed = await build().generateResponse(chat(), context()).catch((caught: unknown) => caught);
    expect(echoed).toBeInstanceOf(ProviderError);
    expect(leakedPieces(exposedText(rejected), wrongKey)).toEqual([]);
    expect(leakedPieces(exposedText(echoed), KEY)).toEqual([]);
  });

  it('listModels lists what the server has, with what the catalog knows', async () => {
    server.setModels(['claude-haiku-4-5', 'claude-next-preview']);
    const models = await build().listModels();
    expect(models.map((model) => model.id)).toEqual(['anthropic:claude-haiku-4-5', 'anthropic:claude-next-preview']);
    expect(models[0]!.pricing).toEqual({ inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1, cacheWritePerMTok: 1.25 });
    expect(models[1]!.pricing).toBeUndefined();
  });

  it('validateConfig names each bad key path', () => {
    expect(build().validateConfig()).toEqual({ ok: true, problems: [] });
    const bad = build({}, { baseURL: 'api.anthropic.com', defaultMaxTokens: 0, timeoutMs: Number.NaN }).validateConfig();
    expect(bad.problems.map((problem) => problem.key)).toEqual(['providers.anthropic.baseURL', 'providers.anthropic.timeoutMs', 'providers.anthropic.defaultMaxTokens']);
  });

  it('config/models.json: every anthropic entry is well formed, priced with cache prices', () => {
    const anthropic = new ModelCatalog(CATALOG).list().filter((info) => info.provider === 'anthropic');
    for (const id of ['claude-3-5-haiku-latest', 'claude-3-7-sonnet-latest', 'claude-sonnet-4-0', 'claude-opus-4-0', 'claude-opus-4-1', 'claude-haiku-4-5', 'claude-sonnet-4-5']) {
      expect(anthropic.map((info) => info.model)).toContain(id);
    }
    for (const info of anthropic) {
      expect(info.contextWindow).toBeGreaterThan(info.maxOutputTokens ?? 0);
      expect(info.pricing!.cacheReadPerMTok).toBeLessThan(info.pricing!.inputPerMTok);
      expect(info.pricing!.cacheWritePerMTok).toBeGreaterThan(info.pricing!.inputPerMTok);
      if (info.deprecated) expect(anthropic.find((other) => other.model === info.deprecated!.replacement)?.deprecated).toBeUndefined();
    }
  });
});

describe('AnthropicManager and OpenTelemetry', () => {
  let server: FakeAnthropicServer;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(async () => {
    server = await FakeAnthropicServer.start();
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    trace.disable();
    await provider.shutdown();
    await server.close();
  });

  it('the SDK makes no spans of its own (a client with default options does)', async () => {
    const manager = new AnthropicManager(makeManagerDeps(), { apiKey: KEY, baseURL: server.url, timeoutMs: 5_000, defaultMaxTokens: 64 });
    await manager.generateResponse(chat(), context());
    await collectManagedSafely(manager.streamResponse(chat(), context()));
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual([]);
    // The control: the same SDK with its defaults does trace into this provider, so zero above means something.
    const plain = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    await plain.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['anthropic.messages.create']);
    expect(server.requestCount).toBe(3);
  });
});
