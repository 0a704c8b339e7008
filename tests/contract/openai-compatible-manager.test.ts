/**
 * OpenAICompatibleManager: the shared contract as provider `vllm`, then what differs from OpenAI:
 * the config key is the provider, an empty key is allowed (and no Authorization header is sent),
 * a missing base URL makes the provider not ready, and config is the SDK's only input.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AuthenticationError } from '../../src/core/errors.js';
import type { CallContext, ManagedStreamPart, ProviderRequest } from '../../src/core/types.js';
import { OpenAICompatibleManager } from '../../src/managers/openai-compatible/openai-compatible-manager.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import { runManagerContract } from './manager-contract.js';
import { openAIHarness, openAIRichHarness } from './openai-harness.js';
import { runRichContract } from './rich-contract.js';

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

runManagerContract('openai-compatible (vllm)', () =>
  openAIHarness(MODEL, (baseURL) => new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL, apiKey: '', timeoutMs: 5_000 })),
);
runRichContract('openai-compatible (vllm)', () =>
  openAIRichHarness(MODEL, (baseURL) => new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL, apiKey: '', timeoutMs: 5_000 })),
);

function chat(): ProviderRequest {
  return { modelId: MODEL, messages: [{ role: 'user', content: 'Hi' }], params: {}, operation: 'chat' };
}

function context(): CallContext {
  return { signal: new AbortController().signal };
}

async function lastPart(stream: AsyncIterable<ManagedStreamPart>): Promise<ManagedStreamPart | undefined> {
  let last: ManagedStreamPart | undefined;
  for await (const part of stream) last = part;
  return last;
}

const ENV_KEYS = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_ORG_ID', 'OPENAI_PROJECT_ID', 'OPENAI_ADMIN_KEY'] as const;

describe('OpenAICompatibleManager specifics', () => {
  let server: FakeOpenAIServer;
  const saved: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};

  beforeAll(async () => {
    server = await FakeOpenAIServer.start();
  });
  beforeEach(() => server.reset());
  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });
  afterAll(() => server.close());

  it('serves `<name>:<model>`, ready without a key, and sends no Authorization header then', async () => {
    const manager = new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL: server.baseURL, apiKey: '' });
    expect(manager.provider).toBe('vllm');
    expect(manager.status()).toEqual({ name: 'vllm', ready: true });
    const result = await manager.generateResponse(chat(), context());
    expect(result.model).toBe(`vllm:${MODEL}`);
    expect(server.requests[0]!.headers).not.toHaveProperty('authorization');
  });

  it('sends the key when one is configured', async () => {
    const manager = new OpenAICompatibleManager(makeManagerDeps(), 'together', { baseURL: server.baseURL, apiKey: 'tg-canary-key-5f3a9c' });
    await manager.generateResponse(chat(), context());
    expect(server.requests[0]!.headers.authorization).toBe('Bearer tg-canary-key-5f3a9c');
  });

  it('without a base URL it is not ready, names the config key, and makes no request', async () => {
    const manager = new OpenAICompatibleManager(makeManagerDeps(), 'lmstudio', { baseURL: '', apiKey: '' });
    const status = manager.status();
    expect(status.ready).toBe(false);
    expect(status.reason).toContain('providers.openaiCompatible.lmstudio.baseURL');
    await expect(manager.generateResponse(chat(), context())).rejects.toBeInstanceOf(AuthenticationError);
    expect(manager.validateConfig().problems.map((problem) => problem.key)).toEqual(['providers.openaiCompatible.lmstudio.baseURL']);
    expect(server.requestCount).toBe(0);
  });

  it('ignores the OPENAI_* environment: config is the only input', async () => {
    for (const key of ENV_KEYS) saved[key] = process.env[key];
    process.env.OPENAI_API_KEY = 'sk-env-key-should-not-travel';
    process.env.OPENAI_BASE_URL = 'http://127.0.0.1:9/v1';
    process.env.OPENAI_ORG_ID = 'org-env';
    process.env.OPENAI_PROJECT_ID = 'proj-env';
    process.env.OPENAI_ADMIN_KEY = 'sk-admin-env-key';
    const manager = new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL: server.baseURL, apiKey: '' });
    await manager.generateResponse(chat(), context());
    const headers = server.requests[0]!.headers;
    expect(headers).not.toHaveProperty('authorization');
    expect(headers).not.toHaveProperty('openai-organization');
    expect(headers).not.toHaveProperty('openai-project');
  });

  it('a server that ignores include_usage still finishes its streams (usage unknown)', async () => {
    server.script(MODEL, { text: 'local answer', usage: null });
    const manager = new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL: server.baseURL, apiKey: '' });
    const last = await lastPart(manager.streamResponse(chat(), context()));
    expect(last?.type).toBe('finish');
    expect(last?.type === 'finish' && last.result).toMatchObject({ text: 'local answer', usageReported: false, costUsd: null });
  });

  it('reads `reasoning` (vLLM >= 0.10, Ollama /v1, OpenRouter) as it reads `reasoning_content`, JSON and streamed', async () => {
    const manager = new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL: server.baseURL, apiKey: '' });
    server.script(MODEL, { text: 'Four.', reasoning: 'Two plus two.', reasoningField: 'reasoning' }, { text: 'Four.', reasoning: 'Two plus two.', reasoningField: 'reasoning' });
    const result = await manager.generateResponse({ ...chat(), params: { reasoning: { effort: 'low' } } }, context());
    expect(result).toMatchObject({ text: 'Four.', reasoning: [{ text: 'Two plus two.' }] });
    expect(server.requests[0]!.body).toMatchObject({ reasoning_effort: 'low' });
    const thinking: string[] = [];
    let last: ManagedStreamPart | undefined;
    for await (const part of manager.streamResponse(chat(), context())) {
      if (part.type === 'reasoning-delta') thinking.push(part.text);
      last = part;
    }
    expect(thinking.join('')).toBe('Two plus two.');
    expect(last?.type === 'finish' && last.result).toMatchObject({ text: 'Four.', reasoning: [{ text: 'Two plus two.' }] });
  });

  it("providerOptions go by the endpoint's name: `vllm` options land, `openai` ones do not", async () => {
    const manager = new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL: server.baseURL, apiKey: '' });
    await manager.generateResponse({ ...chat(), providerOptions: { vllm: { chat_template_kwargs: { enable_thinking: false } }, openai: { user: 'nobody' } } }, context());
    expect(server.requests[0]!.body).toMatchObject({ chat_template_kwargs: { enable_thinking: false } });
    expect(server.requests[0]!.body).not.toHaveProperty('user');
  });

  it('listModels returns everything the server lists', async () => {
    server.setModels([MODEL, 'BAAI/bge-small-en-v1.5']);
    const manager = new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL: server.baseURL, apiKey: '' });
    const models = await manager.listModels();
    expect(models.map((model) => model.id)).toEqual([`vllm:${MODEL}`, 'vllm:BAAI/bge-small-en-v1.5']);
    expect(models.every((model) => model.provider === 'vllm' && model.local === false)).toBe(true);
  });
});
