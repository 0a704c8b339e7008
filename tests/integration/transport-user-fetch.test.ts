/**
 * A `fetch` in a provider's config wins over the transport, untouched: the shared manager contract
 * (tests/contract/manager-contract.ts) once more for every hosted manager, each given Node's own
 * `fetch` through a counting wrapper, so the suite passes on a user's fetch as it does on the
 * transport (the contract files run it on the transport, the default), and every request is seen
 * to go through the user's function.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { AnthropicManager } from '../../src/managers/anthropic/anthropic-manager.js';
import { HuggingFaceManager } from '../../src/managers/huggingface/huggingface-manager.js';
import { OllamaManager } from '../../src/managers/ollama/ollama-manager.js';
import { OpenAICompatibleManager } from '../../src/managers/openai-compatible/openai-compatible-manager.js';
import { OpenAIManager } from '../../src/managers/openai/openai-manager.js';
import { anthropicHarness } from '../contract/anthropic-harness.js';
import type { ContractHarness } from '../contract/contract-harness.js';
import { runManagerContract } from '../contract/manager-contract.js';
import { openAIHarness } from '../contract/openai-harness.js';
import { startFakeOllamaServer } from '../helpers/fake-ollama-server.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';

/** Requests each provider's user fetch carried. */
const carried = new Map<string, number>();

/** Node's own fetch, counted under `name`. */
function userFetch(name: string): typeof fetch {
  carried.set(name, 0);
  const counted = (input: string | URL | Request, init?: RequestInit) => {
    carried.set(name, (carried.get(name) ?? 0) + 1);
    return globalThis.fetch(input, init);
  };
  return counted as typeof fetch;
}

runManagerContract('openai, user fetch', () =>
  openAIHarness('gpt-4o-mini', (baseURL) => new OpenAIManager(makeManagerDeps(), { apiKey: 'sk-user-fetch-openai-0001', baseURL, timeoutMs: 5_000, fetch: userFetch('openai') })),
);
runManagerContract('openai-compatible, user fetch', () =>
  openAIHarness('gpt-4o-mini', (baseURL) => new OpenAICompatibleManager(makeManagerDeps(), 'vllm', { baseURL, apiKey: '', timeoutMs: 5_000, fetch: userFetch('vllm') })),
);
runManagerContract('anthropic, user fetch', () =>
  anthropicHarness('claude-haiku-4-5', (baseURL) => new AnthropicManager(makeManagerDeps(), { apiKey: 'sk-ant-user-fetch-0001', baseURL, timeoutMs: 5_000, defaultMaxTokens: 256, fetch: userFetch('anthropic') })),
);
runManagerContract('huggingface, user fetch', () =>
  openAIHarness('meta-llama/Llama-3.1-8B-Instruct', (baseURL) => new HuggingFaceManager(makeManagerDeps(), { apiKey: 'hf_userfetch0001', endpointUrl: baseURL, timeoutMs: 5_000, fetch: userFetch('huggingface') })),
);
runManagerContract('ollama, user fetch', async (): Promise<ContractHarness> => {
  const server = await startFakeOllamaServer();
  const model = 'llama3.2';
  return {
    manager: new OllamaManager(makeManagerDeps(), { baseURL: server.url, timeoutMs: 5_000, keepAlive: '', fetch: userFetch('ollama') }),
    modelId: model,
    reply: (reply) => server.reply(model, reply),
    fail: (failure) => server.fail(model, failure),
    hang: () => server.hang(model),
    dieMidStream: (reply, afterChunks) => server.interrupt(model, reply, afterChunks, 'end'),
    requests: () => server.requests(),
    paramsOnWire: (request) => {
      const options = ((request.body as { options?: Record<string, unknown> })?.options ?? {}) as Record<string, unknown>;
      const wire: Record<string, unknown> = { temperature: options.temperature, maxTokens: options.num_predict, topP: options.top_p, frequencyPenalty: options.frequency_penalty, presencePenalty: options.presence_penalty, stop: options.stop, seed: options.seed };
      for (const key of Object.keys(wire)) if (wire[key] === undefined) delete wire[key];
      return wire;
    },
    supportedParams: ['temperature', 'maxTokens', 'topP', 'frequencyPenalty', 'presencePenalty', 'stop', 'seed'],
    reportsUsage: true,
    close: () => server.close(),
  };
});

describe('the user fetch carried the requests', () => {
  afterAll(() => carried.clear());

  it('for every provider', () => {
    for (const name of ['openai', 'vllm', 'anthropic', 'huggingface', 'ollama']) expect({ name, used: (carried.get(name) ?? 0) > 0 }).toEqual({ name, used: true });
  });
});
