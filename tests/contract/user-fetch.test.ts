/**
 * The shared manager contract once more with a user-supplied `fetch` in each provider's config
 * (Node's own, wrapped to count): the transport steps aside for it untouched (issue 18, "a
 * user-supplied fetch in config still wins"), and every promise the contract pins — results, streams,
 * retries, timeouts, aborts, bounded answers — holds through it exactly as through the pools. The
 * other contract files run the same suite on the transport.
 */
import { afterAll, expect } from '@jest/globals';
import { AnthropicManager } from '../../src/managers/anthropic/anthropic-manager.js';
import { OpenAIManager } from '../../src/managers/openai/openai-manager.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import { anthropicHarness } from './anthropic-harness.js';
import { runManagerContract } from './manager-contract.js';
import { ollamaHarness } from './ollama-harness.js';
import { openAIHarness } from './openai-harness.js';

/** Requests that went through the user's fetch, per provider. */
const used = { openai: 0, anthropic: 0, ollama: 0 };
const userFetch = (provider: keyof typeof used): typeof fetch => (input, init) => {
  used[provider]++;
  return globalThis.fetch(input, init);
};

runManagerContract('openai with a user-supplied fetch', () =>
  openAIHarness('gpt-4o-mini', (baseURL) => new OpenAIManager(makeManagerDeps(), { apiKey: 'sk-contract-openai-key-0001', baseURL, timeoutMs: 5_000, fetch: userFetch('openai') })),
);
runManagerContract('anthropic with a user-supplied fetch', () =>
  anthropicHarness('claude-haiku-4-5', (baseURL) => new AnthropicManager(makeManagerDeps(), { apiKey: 'sk-ant-contract-key-0001', baseURL, timeoutMs: 5_000, defaultMaxTokens: 256, fetch: userFetch('anthropic') })),
);
runManagerContract('ollama with a user-supplied fetch', () => ollamaHarness({ fetch: userFetch('ollama') }));

afterAll(() => {
  // Every provider's requests went through the user's fetch, none around it.
  expect(used.openai).toBeGreaterThan(10);
  expect(used.anthropic).toBeGreaterThan(10);
  expect(used.ollama).toBeGreaterThan(10);
});
