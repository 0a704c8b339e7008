/**
 * Embeddings and token counts over deployments (issue 17): `sb.embed` on openai and an
 * OpenAI-compatible endpoint routes each attempt like a generation's (the router's pick, cooldowns, an
 * immediate move to another deployment after a cooling failure); `sb.countTokens` on openai needs no
 * upstream at all (a local tokenizer), and anthropic's count endpoint goes through the deployments too.
 * The providers have no key of their own here: only the deployments' keys can answer.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import type { RetryEvent } from '../../src/telemetry/events.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';

const KEYS = ['sk-side-d0-0123456789abcdef', 'sk-side-d1-0123456789abcdef'];
const TEXTS = ['first text', 'second text'];

describe('embeddings and countTokens through deployments', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function switchboard(config: Record<string, unknown>): Promise<Switchboard> {
    const sb = await createSwitchboard({ config: { telemetry: { logLevel: 'silent' }, ...config } });
    cleanup.push(() => sb.close());
    return sb;
  }

  async function openAIServers(): Promise<FakeOpenAIServer[]> {
    const servers = [await FakeOpenAIServer.start(), await FakeOpenAIServer.start()];
    for (const server of servers) cleanup.push(() => server.close());
    return servers;
  }

  const deployments = (servers: FakeOpenAIServer[]) => servers.map((s, i) => ({ name: `d${i}`, baseURL: s.baseURL, apiKey: KEYS[i] }));

  it('openai embeddings: a 503 deployment is left at once for the other, and stays cooled', async () => {
    const servers = await openAIServers();
    servers[0]!.respondWith(() => ({ kind: 'status', status: 503, message: 'Service Unavailable' }));
    const sb = await switchboard({ providers: { openai: { baseURL: servers[0]!.baseURL, deployments: deployments(servers) } } });
    const retries: RetryEvent[] = [];
    sb.events.on('retry', (event) => void retries.push(event));
    for (let i = 0; i < 10; i++) {
      const result = await sb.embed({ model: 'openai:text-embedding-3-small', input: TEXTS });
      expect(result.embeddings).toHaveLength(2);
    }
    // One call at a time: the first tried d0 (list order), got 503 and moved on; no later call went back.
    expect(servers[0]!.requestCount).toBe(1);
    expect(servers[1]!.requestCount).toBe(10);
    expect(servers[1]!.requests.at(-1)!.headers['authorization']).toBe(`Bearer ${KEYS[1]}`);
    expect(retries).toEqual([expect.objectContaining({ provider: 'openai', attempt: 1, delayMs: 0, deployment: 'd0' })]);
    expect(sb.stats().byDeployment['openai/d0']).toMatchObject({ requests: 1, errors: 1, cooling: true });
    expect(sb.stats().byDeployment['openai/d1']).toMatchObject({ requests: 10, errors: 0 });
    // Chats too, though the provider has no key of its own (its client is never made).
    const answer = await sb.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.text).not.toBe('');
  });

  it('an OpenAI-compatible endpoint: a 429 with Retry-After sends embeddings to the other replica', async () => {
    const servers = await openAIServers();
    servers[0]!.respondWith(() => ({ kind: 'status', status: 429, message: 'Too many requests', headers: { 'retry-after': '30' } }));
    const sb = await switchboard({ providers: { openaiCompatible: { vllm: { baseURL: servers[0]!.baseURL, deployments: deployments(servers) } } } });
    for (let i = 0; i < 5; i++) await sb.embed({ model: 'vllm:BAAI/bge-small-en', input: TEXTS });
    expect(servers[0]!.requestCount).toBe(1);
    expect(servers[1]!.requestCount).toBe(5);
  });

  it('openai countTokens makes no upstream request, with or without deployments (a local tokenizer)', async () => {
    const servers = await openAIServers();
    const sb = await switchboard({ providers: { openai: { baseURL: servers[0]!.baseURL, deployments: deployments(servers) } } });
    const counted = await sb.countTokens({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'How many tokens is this?' }] });
    expect(counted.exact).toBe(true);
    expect(servers.map((s) => s.requestCount)).toEqual([0, 0]);
  });

  it('anthropic countTokens goes to a deployment with its key, and leaves a failing one at once', async () => {
    const servers = [await FakeAnthropicServer.start(), await FakeAnthropicServer.start()];
    for (const server of servers) cleanup.push(() => server.close());
    servers[0]!.countTokensFaults.push({ kind: 'status', status: 529, message: 'Overloaded' });
    const sb = await switchboard({ providers: { anthropic: { baseURL: servers[0]!.url, deployments: servers.map((s, i) => ({ name: `a${i}`, baseURL: s.url, apiKey: KEYS[i] })) } } });
    const counted = await sb.countTokens({ model: 'anthropic:claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'count these four words' }] });
    expect(counted.exact).toBe(true);
    expect(counted.inputTokens).toBeGreaterThan(0);
    expect(servers.map((s) => s.requestCount)).toEqual([1, 1]);
    expect(JSON.stringify(servers[1]!.requests.at(-1)!.headers)).toContain(KEYS[1]);
  });
});
