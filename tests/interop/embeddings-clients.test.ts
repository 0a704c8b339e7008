/**
 * Real embedding clients through the gateway's `POST /v1/embeddings`, each routed to OpenAI, Ollama,
 * HuggingFace and the tiny GGUF: the official openai SDK (`embeddings.create`, float and its default
 * base64) and the Vercel AI SDK's `embed` / `embedMany` on `createOpenAI({ baseURL, apiKey }).embedding(model)`
 * (`@ai-sdk/openai` 3.x). Every client gets the upstream's vectors (float32-exact through base64).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createOpenAI } from '@ai-sdk/openai';
import { embed, embedMany } from 'ai';
import OpenAI from 'openai';
import { silentLogger } from '../../src/core/logger.js';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { fakeEmbedding } from '../helpers/embed-vectors.js';
import { GGUF_NAME, OLLAMA_EMBED_MODEL, startEmbedUpstreams, type EmbedUpstreams } from '../helpers/embed-upstreams.js';

const KEY = 'gw-embed-interop-Rk40Ud82Qs';
const TEXTS = ['first text', 'second text', 'third'];

// The AI SDK logs its warnings to the console unless told otherwise.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let upstreams: EmbedUpstreams;
let gw: Gateway;
/** The library itself, on the same upstreams: what the GGUF's vectors are. */
let direct: Switchboard;

beforeAll(async () => {
  upstreams = await startEmbedUpstreams();
  const config = { resilience: { maxRetries: 0 }, providers: upstreams.providers() };
  gw = await startGateway({ config: { ...config, server: { apiKeys: [{ key: KEY, tenant: 'interop' }] } }, env: { NODE_ENV: 'test' }, host: '127.0.0.1', port: 0, logger: silentLogger });
  direct = await createSwitchboard({ env: {}, config: { ...config, telemetry: { logLevel: 'silent' } } });
});
afterAll(async () => {
  await gw?.close();
  await direct?.close();
  await upstreams?.close();
});

/** What each upstream sends for `texts` (the GGUF's: computed by the library on the same file). */
async function expectedVectors(model: string, texts: string[]): Promise<number[][]> {
  if (model.startsWith('llamacpp:')) return (await direct.embed({ model, input: texts })).embeddings;
  return texts.map((text) => fakeEmbedding(text));
}

describe.each([
  ['OpenAI', 'openai:text-embedding-3-small'],
  ['Ollama', `ollama:${OLLAMA_EMBED_MODEL}`],
  ['HuggingFace', 'huggingface:BAAI/bge-small-en-v1.5'],
  ['the tiny GGUF', `llamacpp:${GGUF_NAME}`],
])('embedding clients through the gateway to %s', (_name, model) => {
  it('openai SDK embeddings.create: float exactly, and its default base64 decoded to the same float32 values', async () => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const expected = await expectedVectors(model, TEXTS);
    const floats = await client.embeddings.create({ model, input: TEXTS, encoding_format: 'float' });
    expect(floats.object).toBe('list');
    expect(floats.data.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(floats.data.map((item) => item.embedding)).toEqual(expected);
    const decoded = await client.embeddings.create({ model, input: TEXTS });
    expect(decoded.data.map((item) => item.embedding)).toEqual(expected.map((vector) => vector.map((value) => Math.fround(value))));
    expect(decoded.usage.total_tokens).toBe(decoded.usage.prompt_tokens);
  });

  it("the AI SDK's embed and embedMany on createOpenAI().embedding(model)", async () => {
    const provider = createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY });
    const expected = await expectedVectors(model, TEXTS);
    const one = await embed({ model: provider.embedding(model), value: TEXTS[0]!, maxRetries: 0 });
    expect(one.embedding).toEqual(expected[0]);
    const many = await embedMany({ model: provider.embedding(model), values: TEXTS, maxRetries: 0 });
    expect(many.embeddings).toEqual(expected);
    expect(typeof many.usage.tokens).toBe('number');
  });
});
