/**
 * `sb.embed` against every provider that embeds, through the real clients and a real switchboard:
 * OpenAI and a named OpenAI-compatible endpoint (the openai SDK, base64 on the wire), HuggingFace
 * (`@huggingface/inference` feature extraction at an endpoint and through the router), Ollama
 * (`/api/embed`) and llama.cpp (the tiny GGUF's embedding context). Each returns the upstream's vectors
 * exactly; the GGUF's equal node-llama-cpp's own `getEmbeddingFor` on the same file.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { fakeEmbedding, FAKE_EMBEDDING_DIMENSIONS } from '../helpers/embed-vectors.js';
import { EMBED_HF_TOKEN, GGUF_NAME, OLLAMA_EMBED_MODEL, startEmbedUpstreams, type EmbedUpstreams } from '../helpers/embed-upstreams.js';

const TEXTS = ['The quick brown fox', 'jumps over the lazy dog', 'and naps'];

describe('sb.embed per provider', () => {
  let upstreams: EmbedUpstreams;
  let sb: Switchboard;

  beforeAll(async () => {
    upstreams = await startEmbedUpstreams();
    sb = await createSwitchboard({ env: {}, config: { telemetry: { logLevel: 'silent' }, resilience: { maxRetries: 0 }, providers: upstreams.providers() } });
  });
  afterAll(async () => {
    await sb?.close();
    await upstreams?.close();
  });

  it('openai: base64 on the wire, decoded to exactly the float32 vectors sent, usage and catalog cost', async () => {
    const before = upstreams.openai.requests.length;
    const result = await sb.embed({ model: 'openai:text-embedding-3-small', input: TEXTS });
    expect(result.embeddings).toEqual(TEXTS.map((text) => fakeEmbedding(text)));
    // The fake counts words: 4 + 5 + 2.
    expect(result).toMatchObject({ model: 'openai:text-embedding-3-small', usage: { inputTokens: 11 }, cached: false, attempts: 1 });
    expect(result.costUsd).toBeCloseTo((11 * 0.02) / 1e6, 15);
    const sent = upstreams.openai.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe('/v1/embeddings');
    expect(sent[0]!.body).toEqual({ model: 'text-embedding-3-small', input: TEXTS, encoding_format: 'base64' });
  });

  it('openai: one string is one vector; dimensions and user go upstream', async () => {
    const before = upstreams.openai.requests.length;
    const result = await sb.embed({ model: 'openai:text-embedding-3-large', input: 'one text', dimensions: 8, user: 'end-user-5' });
    expect(result.embeddings).toEqual([fakeEmbedding('one text', 8)]);
    expect(upstreams.openai.requests[before]!.body).toEqual({ model: 'text-embedding-3-large', input: ['one text'], encoding_format: 'base64', dimensions: 8, user: 'end-user-5' });
  });

  it('a named OpenAI-compatible endpoint embeds through the same SDK path', async () => {
    const before = upstreams.openai.requests.length;
    const result = await sb.embed({ model: 'vllm:BAAI/bge-small-en', input: TEXTS });
    expect(result.embeddings).toEqual(TEXTS.map((text) => fakeEmbedding(text)));
    expect(result.model).toBe('vllm:BAAI/bge-small-en');
    // Not in the catalog: no price, so no cost (never a made-up 0).
    expect(result.costUsd).toBeNull();
    expect(upstreams.openai.requests[before]!.body).toMatchObject({ model: 'BAAI/bge-small-en', input: TEXTS });
  });

  it('huggingface: feature extraction at the endpoint, texts as a list, no usage reported', async () => {
    const before = upstreams.hf.requests.length;
    const result = await sb.embed({ model: 'huggingface:sentence-transformers/all-MiniLM-L6-v2', input: TEXTS });
    expect(result.embeddings).toEqual(TEXTS.map((text) => fakeEmbedding(text)));
    expect(result).toMatchObject({ usage: { inputTokens: 0 }, costUsd: null });
    const sent = upstreams.hf.requests[before]!;
    expect(sent.path).toBe('/');
    expect(sent.headers.authorization).toBe(`Bearer ${EMBED_HF_TOKEN}`);
    expect(sent.body).toEqual({ inputs: TEXTS });
  });

  it('huggingface: through the Inference Providers router by model id (the hub mapping, then the pipeline route)', async () => {
    const seen: string[] = [];
    const router: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      seen.push(url);
      return fetch(url.replace(/^https:\/\/(router\.)?huggingface\.co/, upstreams.hf.url), init);
    };
    const routed = await createSwitchboard({ env: {}, config: { telemetry: { logLevel: 'silent' }, providers: { huggingface: { apiKey: EMBED_HF_TOKEN, fetch: router } } } });
    try {
      const result = await routed.embed({ model: 'huggingface:BAAI/bge-base-en-v1.5', input: ['one', 'two'] });
      expect(result.embeddings).toEqual([fakeEmbedding('one'), fakeEmbedding('two')]);
      expect(seen).toEqual(['https://huggingface.co/api/models/BAAI/bge-base-en-v1.5?expand[]=inferenceProviderMapping', 'https://router.huggingface.co/hf-inference/models/BAAI/bge-base-en-v1.5/pipeline/feature-extraction']);
    } finally {
      await routed.close();
    }
  });

  it('ollama: /api/embed with the texts, truncate off, prompt_eval_count as usage', async () => {
    const before = upstreams.ollama.requests().length;
    const result = await sb.embed({ model: `ollama:${OLLAMA_EMBED_MODEL}`, input: TEXTS, dimensions: 4 });
    expect(result.embeddings).toEqual(TEXTS.map((text) => fakeEmbedding(text, 4)));
    expect(result.usage).toEqual({ inputTokens: 11 });
    const sent = upstreams.ollama.requests()[before]!;
    expect(sent.path).toBe('/api/embed');
    expect(sent.body).toEqual({ model: OLLAMA_EMBED_MODEL, input: TEXTS, truncate: false, dimensions: 4 });
  });

  it('ollama: an unknown model is NoSuchModelError', async () => {
    await expect(sb.embed({ model: 'ollama:not-pulled', input: 'x' })).rejects.toMatchObject({ name: 'NoSuchModelError' });
  });

  it("llamacpp: the tiny GGUF's vectors equal node-llama-cpp's own getEmbeddingFor, with the model's token counts", async () => {
    const result = await sb.embed({ model: `llamacpp:${GGUF_NAME}`, input: ['hello world', 'the tiny model'] });
    const { getLlama } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false });
    try {
      const model = await llama.loadModel({ modelPath: join(upstreams.modelsDir, `${GGUF_NAME}.gguf`) });
      const context = await model.createEmbeddingContext({ contextSize: 128 });
      const expected = [];
      let tokens = 0;
      for (const text of ['hello world', 'the tiny model']) {
        expected.push([...(await context.getEmbeddingFor(text)).vector]);
        tokens += context.calculateInputLength(text);
      }
      expect(result.embeddings).toEqual(expected);
      expect(result.embeddings[0]).toHaveLength(64);
      expect(result.usage.inputTokens).toBe(tokens);
      await context.dispose();
      await model.dispose();
    } finally {
      await llama.dispose();
    }
    // The embedding context lives with the loaded model: evicting it frees both.
    expect(sb.modelCache.has(`llamacpp:${GGUF_NAME}`)).toBe(true);
    await sb.modelCache.evict(`llamacpp:${GGUF_NAME}`);
    expect(sb.modelCache.has(`llamacpp:${GGUF_NAME}`)).toBe(false);
    const again = await sb.embed({ model: `llamacpp:${GGUF_NAME}`, input: 'hello world' });
    expect(again.embeddings[0]).toEqual(result.embeddings[0]);
  });

  it('the fakes answer the default length unless asked', () => {
    expect(fakeEmbedding('x')).toHaveLength(FAKE_EMBEDDING_DIMENSIONS);
  });
});
