/**
 * `POST /v1/embeddings` through the gateway: the official openai SDK (`embeddings.create` with float and
 * with its default base64) and plain HTTP, routed to OpenAI, a named OpenAI-compatible endpoint,
 * HuggingFace, Ollama and the tiny GGUF; OpenAI's response shape and usage; every field honoured or
 * refused by name (token arrays, unknown fields, bad values, dimensions a model does not take, a
 * provider without embeddings); `user` forwarded; the cache scoped by the gateway key's tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import OpenAI from 'openai';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { fakeEmbedding, float32Base64 } from '../helpers/embed-vectors.js';
import { GGUF_NAME, OLLAMA_EMBED_MODEL, startEmbedUpstreams, type EmbedUpstreams } from '../helpers/embed-upstreams.js';

const KEY_ACME = 'gw-embed-acme-Hq72Lx05Vb';
const KEY_GLOBEX = 'gw-embed-globex-Pt39Wm61Zc';

describe('gateway POST /v1/embeddings', () => {
  let upstreams: EmbedUpstreams;
  let anthropic: FakeAnthropicServer;
  let gw: Gateway;
  let acme: OpenAI;

  const post = (body: unknown, key = KEY_ACME) =>
    fetch(`${gw.url}/v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    upstreams = await startEmbedUpstreams();
    anthropic = await FakeAnthropicServer.start();
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        responseCache: { enabled: true },
        providers: { ...upstreams.providers(), anthropic: { apiKey: 'sk-ant-gw-embed-Yw2', baseURL: anthropic.url } },
        server: { apiKeys: [{ key: KEY_ACME, tenant: 'acme' }, { key: KEY_GLOBEX, tenant: 'globex' }] },
      },
      env: { NODE_ENV: 'test' },
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
    acme = new OpenAI({ apiKey: KEY_ACME, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await upstreams?.close();
    await anthropic?.close();
  });

  it('answers in OpenAI shape with float vectors exactly as the upstream sent them', async () => {
    const response = await post({ model: 'openai:text-embedding-3-small', input: ['alpha beta', 'gamma'], encoding_format: 'float' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchboard-model')).toBe('openai:text-embedding-3-small');
    expect(response.headers.get('x-switchboard-cached')).toBe('false');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: fakeEmbedding('alpha beta') },
        { object: 'embedding', index: 1, embedding: fakeEmbedding('gamma') },
      ],
      model: 'openai:text-embedding-3-small',
      usage: { prompt_tokens: 3, total_tokens: 3 },
      x_switchboard: expect.objectContaining({ model: 'openai:text-embedding-3-small', cached: false, attempts: 1, response_model: 'text-embedding-3-small' }),
    });
  });

  it('base64 is little-endian float32 bytes: the openai SDK decodes it (its default) to the same vectors', async () => {
    const raw = (await (await post({ model: 'openai:text-embedding-3-small', input: 'delta', encoding_format: 'base64', user: 'u-1' })).json()) as { data: Array<{ embedding: string }> };
    expect(raw.data[0]!.embedding).toBe(float32Base64(fakeEmbedding('delta')));
    const viaDefault = await acme.embeddings.create({ model: 'openai:text-embedding-3-small', input: ['delta', 'epsilon'] });
    expect(viaDefault.data.map((item) => item.embedding)).toEqual([fakeEmbedding('delta'), fakeEmbedding('epsilon')]);
    const viaFloat = await acme.embeddings.create({ model: 'openai:text-embedding-3-small', input: 'delta', encoding_format: 'float', dimensions: 6 });
    expect(viaFloat.data[0]!.embedding).toEqual(fakeEmbedding('delta', 6));
    expect(viaFloat.usage).toEqual({ prompt_tokens: 1, total_tokens: 1 });
  });

  it('forwards user to an OpenAI-shaped upstream', async () => {
    const before = upstreams.openai.requests.length;
    await acme.embeddings.create({ model: 'openai:text-embedding-3-large', input: 'who', user: 'end-user-9' });
    expect((upstreams.openai.requests[before]!.body as { user?: string }).user).toBe('end-user-9');
  });

  it.each([
    ['a named OpenAI-compatible endpoint', 'vllm:intfloat/e5-small'],
    ['HuggingFace', 'huggingface:sentence-transformers/all-MiniLM-L6-v2'],
    ['Ollama', `ollama:${OLLAMA_EMBED_MODEL}`],
  ])('routes to %s', async (_name, model) => {
    const answer = await acme.embeddings.create({ model, input: ['zeta', 'eta'], encoding_format: 'float' });
    expect(answer.data.map((item) => item.embedding)).toEqual([fakeEmbedding('zeta'), fakeEmbedding('eta')]);
    expect(answer.model).toBe(model);
  });

  it('routes to the tiny GGUF (64 dimensions), base64 decoding to its float32 vector', async () => {
    const floats = await acme.embeddings.create({ model: `llamacpp:${GGUF_NAME}`, input: 'hello world', encoding_format: 'float' });
    const decoded = await acme.embeddings.create({ model: `llamacpp:${GGUF_NAME}`, input: 'hello world' });
    expect(floats.data[0]!.embedding).toHaveLength(64);
    expect(decoded.data[0]!.embedding).toEqual(floats.data[0]!.embedding.map((value) => Math.fround(value)));
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it.each([
    [{ model: 'openai:text-embedding-3-small', input: [1, 2, 3] }, 400, 'unsupported_parameter', 'input'],
    [{ model: 'openai:text-embedding-3-small', input: [[1, 2], [3]] }, 400, 'unsupported_parameter', 'input'],
    [{ model: 'openai:text-embedding-3-small', input: [] }, 400, null, 'input'],
    [{ model: 'openai:text-embedding-3-small', input: ['ok', ''] }, 400, null, 'input[1]'],
    [{ model: 'openai:text-embedding-3-small' }, 400, null, 'input'],
    [{ input: 'x' }, 400, null, 'model'],
    [{ model: 'bot:support', input: 'x' }, 400, null, 'model'],
    [{ model: 'openai:text-embedding-3-small', input: 'x', encoding_format: 'int8' }, 400, null, 'encoding_format'],
    [{ model: 'openai:text-embedding-3-small', input: 'x', dimensions: -1 }, 400, null, 'dimensions'],
    [{ model: 'openai:text-embedding-3-small', input: 'x', user: 5 }, 400, null, 'user'],
    [{ model: 'openai:text-embedding-3-small', input: 'x', truncate: true }, 400, 'unknown_parameter', 'truncate'],
    [{ model: 'openai:text-embedding-ada-002', input: 'x', dimensions: 8 }, 400, 'unsupported_parameter', 'dimensions'],
    [{ model: 'anthropic:claude-haiku-4-5', input: 'x' }, 400, 'unsupported_parameter', 'model'],
    [{ model: 'nope:thing', input: 'x' }, 404, 'model_not_found', 'model'],
  ])('refuses %j before any upstream request', async (body, status, code, param) => {
    const before = upstreams.openai.requestCount + anthropic.requestCount;
    const response = await post(body);
    expect(response.status).toBe(status);
    const { error } = (await response.json()) as { error: { code: string | null; param: string | null; type: string; message: string } };
    expect(error).toMatchObject({ code, param, type: 'invalid_request_error' });
    expect(upstreams.openai.requestCount + anthropic.requestCount).toBe(before);
  });

  it('the SDK raises its BadRequestError for a refused field', async () => {
    await expect(acme.embeddings.create({ model: 'openai:text-embedding-3-small', input: [1, 2] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("caches per gateway key's tenant", async () => {
    const body = { model: 'openai:text-embedding-3-small', input: ['cached text'], encoding_format: 'float' };
    const before = upstreams.openai.requestCount;
    await post(body, KEY_ACME);
    const hit = await post(body, KEY_ACME);
    expect(hit.headers.get('x-switchboard-cached')).toBe('true');
    expect(((await hit.json()) as { usage: unknown }).usage).toEqual({ prompt_tokens: 0, total_tokens: 0 });
    const other = await post(body, KEY_GLOBEX);
    expect(other.headers.get('x-switchboard-cached')).toBe('false');
    expect(upstreams.openai.requestCount - before).toBe(2);
  });
});
