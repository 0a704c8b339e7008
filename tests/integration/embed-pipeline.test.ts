/**
 * `sb.embed` through the whole pipeline with the real clients against the fakes: batches split at the
 * provider's size (and the response bound) and joined in order, refusals before any request
 * (anthropic, empty input, dimensions where not honoured, a chat call to an embedding model), the one
 * retry loop (5xx, malformed answers), timeouts and aborts, the circuit breaker and client-side rate
 * limit of chat, the tenant-scoped response cache, events and stats. No fallbacks: one model per call.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AbortError, CircuitOpenError, InvalidRequestError, NoSuchProviderError, ProviderError, RateLimitError, TimeoutError } from '../../src/core/errors.js';
import type { CallFinishedEvent } from '../../src/telemetry/events.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { fakeEmbedding } from '../helpers/embed-vectors.js';
import { startEmbedUpstreams, type EmbedUpstreams } from '../helpers/embed-upstreams.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';

const texts = (count: number, prefix = 't') => Array.from({ length: count }, (_, index) => `${prefix} number ${index}`);
/** Requests to `path` among `requests` since `from`. */
const embedRequests = (requests: Array<{ path: string; body: unknown }>, from: number) => requests.slice(from).filter((request) => request.path === '/v1/embeddings' || request.path === '/');

describe('sb.embed pipeline', () => {
  let upstreams: EmbedUpstreams;
  let anthropic: FakeAnthropicServer;
  let sb: Switchboard;
  const finished: CallFinishedEvent[] = [];

  beforeAll(async () => {
    upstreams = await startEmbedUpstreams();
    anthropic = await FakeAnthropicServer.start();
    const providers = upstreams.providers() as Record<string, Record<string, unknown>>;
    sb = await createSwitchboard({
      env: {},
      config: {
        telemetry: { logLevel: 'silent' },
        resilience: { maxRetries: 2, retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 2_000, circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 }, rateLimits: { limited: { requestsPerMinute: 1, maxWaitMs: 0 } } },
        responseCache: { enabled: true },
        providers: {
          ...providers,
          anthropic: { apiKey: 'sk-ant-embed-test-Nw3', baseURL: anthropic.url },
          openaiCompatible: { ...(providers.openaiCompatible as Record<string, unknown>), limited: { baseURL: upstreams.openai.baseURL, apiKey: (providers.openai as { apiKey: string }).apiKey } },
        },
      },
    });
    sb.events.on('call.finished', (event) => void finished.push(event));
  });
  afterAll(async () => {
    await sb?.close();
    await upstreams?.close();
    await anthropic?.close();
  });

  it('splits at the provider batch size (HF: 32) and joins the vectors in input order', async () => {
    const input = texts(70, 'hf');
    const before = upstreams.hf.requests.length;
    const result = await sb.embed({ model: 'huggingface:BAAI/bge-small-en-v1.5', input, cache: false });
    expect(result.embeddings).toEqual(input.map((text) => fakeEmbedding(text)));
    const sent = embedRequests(upstreams.hf.requests, before).map((request) => (request.body as { inputs: string[] }).inputs);
    expect(sent).toEqual([input.slice(0, 32), input.slice(32, 64), input.slice(64)]);
    expect(result.attempts).toBe(3);
  });

  it('sizes OpenAI batches by the response bound too, and sums usage and cost over the batches', async () => {
    // 3 vectors of 16 dimensions per answer fit: 1024 bytes of envelope + 3 x (88 base64 + 64).
    const tight = await createSwitchboard({ env: {}, config: { telemetry: { logLevel: 'silent' }, limits: { maxResponseBytes: 1024 + 3 * 152 }, providers: { openai: upstreams.providers().openai as Record<string, unknown> } } });
    const input = texts(7, 'oa');
    const before = upstreams.openai.requests.length;
    const result = await tight.embed({ model: 'openai:text-embedding-3-small', input, dimensions: 16 }).finally(() => tight.close());
    expect(result.embeddings).toEqual(input.map((text) => fakeEmbedding(text, 16)));
    const sent = embedRequests(upstreams.openai.requests, before).map((request) => (request.body as { input: string[] }).input);
    expect(sent).toEqual([input.slice(0, 3), input.slice(3, 6), input.slice(6)]);
    // Three words a text.
    expect(result.usage.inputTokens).toBe(21);
    expect(result.costUsd).toBeCloseTo((21 * 0.02) / 1e6, 15);
  });

  it('refuses anthropic, empty input, unknown providers and dimensions where not honoured, before any request', async () => {
    const before = { openai: upstreams.openai.requestCount, hf: upstreams.hf.requestCount, anthropic: anthropic.requestCount };
    const anthropicCall = sb.embed({ model: 'anthropic:claude-haiku-4-5', input: 'x' });
    await expect(anthropicCall).rejects.toThrow(InvalidRequestError);
    await expect(anthropicCall).rejects.toThrow(/Provider "anthropic" has no embeddings API/);
    await expect(sb.embed({ model: 'openai:text-embedding-3-small', input: [] })).rejects.toThrow(/input must not be an empty array/);
    await expect(sb.embed({ model: 'openai:text-embedding-3-small', input: ['a', ''] })).rejects.toThrow(/input\[1\] must be a non-empty string/);
    await expect(sb.embed({ model: 'openai:text-embedding-3-small', input: [1, 2] as unknown as string[] })).rejects.toThrow(/input\[0\] is a token array/);
    await expect(sb.embed({ model: 'openai:text-embedding-ada-002', input: 'x', dimensions: 8 })).rejects.toThrow(/does not take dimensions/);
    await expect(sb.embed({ model: 'huggingface:BAAI/bge-small-en-v1.5', input: 'x', dimensions: 8 })).rejects.toThrow(/does not take dimensions/);
    await expect(sb.embed({ model: 'nope:model', input: 'x' })).rejects.toThrow(NoSuchProviderError);
    expect({ openai: upstreams.openai.requestCount, hf: upstreams.hf.requestCount, anthropic: anthropic.requestCount }).toEqual(before);
  });

  it('refuses a generation call to an embedding model before any request, and lists embedding models apart', async () => {
    const before = upstreams.openai.requestCount;
    await expect(sb.chat({ model: 'openai:text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(/is an embedding model/);
    expect(upstreams.openai.requestCount).toBe(before);
    expect(sb.registry.listModels({ kind: 'embedding' }).map((model) => model.id).sort()).toEqual(['openai:text-embedding-3-large', 'openai:text-embedding-3-small', 'openai:text-embedding-ada-002']);
    expect(sb.registry.listModels({ kind: 'chat' }).some((model) => model.kind === 'embedding')).toBe(false);
  });

  it('retries 5xx and malformed answers in the one loop (attempts counted), not 400s', async () => {
    upstreams.openai.script('retry-me', { kind: 'status', status: 503 }, { kind: 'no-answer' });
    const before = upstreams.openai.requestCount;
    const result = await sb.embed({ model: 'vllm:retry-me', input: 'hello', cache: false });
    expect(result.embeddings).toEqual([fakeEmbedding('hello')]);
    expect(result.attempts).toBe(3);
    expect(upstreams.openai.requestCount - before).toBe(3);

    upstreams.openai.script('bad-request', { kind: 'status', status: 400, message: 'bad' });
    const failing = upstreams.openai.requestCount;
    await expect(sb.embed({ model: 'vllm:bad-request', input: 'hello', cache: false })).rejects.toThrow(InvalidRequestError);
    expect(upstreams.openai.requestCount - failing).toBe(1);
  });

  it('times out a hanging upstream (TimeoutError) and aborts with the caller (AbortError)', async () => {
    upstreams.openai.script('hangs', { kind: 'hang' });
    await expect(sb.embed({ model: 'vllm:hangs', input: 'x', cache: false })).rejects.toThrow(TimeoutError);
    upstreams.openai.script('hangs', { kind: 'hang' });
    const controller = new AbortController();
    const call = sb.embed({ model: 'vllm:hangs', input: 'x', cache: false, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toThrow(AbortError);
  });

  it('opens the circuit after repeated failures: then refused without a request', async () => {
    upstreams.openai.script('broken', ...Array.from({ length: 6 }, () => ({ kind: 'status' as const, status: 500 })));
    await expect(sb.embed({ model: 'vllm:broken', input: 'x', cache: false })).rejects.toThrow(ProviderError);
    await expect(sb.embed({ model: 'vllm:broken', input: 'x', cache: false })).rejects.toThrow(ProviderError);
    const before = upstreams.openai.requestCount;
    await expect(sb.embed({ model: 'vllm:broken', input: 'x', cache: false })).rejects.toThrow(CircuitOpenError);
    expect(upstreams.openai.requestCount).toBe(before);
  });

  it("applies the provider's client-side rate limit to each batch", async () => {
    await sb.embed({ model: 'limited:m', input: 'first', cache: false });
    const before = upstreams.openai.requestCount;
    await expect(sb.embed({ model: 'limited:m', input: 'second', cache: false })).rejects.toThrow(RateLimitError);
    expect(upstreams.openai.requestCount).toBe(before);
  });

  it('caches per tenant: a repeat is a hit (no request, cost 0), another tenant or cache: false is not', async () => {
    const input = ['cache me', 'and me'];
    const before = upstreams.openai.requestCount;
    const first = await sb.embed({ model: 'openai:text-embedding-3-small', input, tenantId: 'acme' });
    const again = await sb.embed({ model: 'openai:text-embedding-3-small', input, tenantId: 'acme' });
    expect(upstreams.openai.requestCount - before).toBe(1);
    expect(again).toMatchObject({ embeddings: first.embeddings, cached: true, costUsd: 0, usage: { inputTokens: 0 }, attempts: 0 });
    expect(first.cached).toBe(false);
    const other = await sb.embed({ model: 'openai:text-embedding-3-small', input, tenantId: 'globex' });
    expect(other.cached).toBe(false);
    const bypass = await sb.embed({ model: 'openai:text-embedding-3-small', input, tenantId: 'acme', cache: false });
    expect(bypass.cached).toBe(false);
    const reordered = await sb.embed({ model: 'openai:text-embedding-3-small', input: [...input].reverse(), tenantId: 'acme' });
    expect(reordered.cached).toBe(false);
    expect(reordered.embeddings).toEqual([...first.embeddings].reverse());
    expect(upstreams.openai.requestCount - before).toBe(4);
  });

  it('reports call.finished (operation embeddings) and the model stats', async () => {
    finished.length = 0;
    const result = await sb.embed({ model: `ollama:nomic-embed-text`, input: ['one two', 'three'], cache: false });
    expect(finished).toEqual([
      { model: 'ollama:nomic-embed-text', usage: { inputTokens: 3, outputTokens: 0, totalTokens: 3 }, costUsd: null, latencyMs: result.latencyMs, cached: false, attempts: 1, adapters: [], finishReason: 'stop', operation: 'embeddings' },
    ]);
    const stats = sb.stats();
    expect(stats.byModel['ollama:nomic-embed-text']).toMatchObject({ requests: 1, errors: 0, inputTokens: 3, outputTokens: 0 });
  });
});
