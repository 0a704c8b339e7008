/**
 * Deployments on huggingface and ollama (issue 17: every hosted provider), through createSwitchboard
 * against fake servers on loopback, one per deployment: the real `@huggingface/inference` client at
 * fake OpenAI-shaped endpoints (what TGI and dedicated endpoints speak), the native Ollama client at
 * fake Ollama servers. One deployment fails (5xx, or 429 with Retry-After); the callers see no failure,
 * and the failing deployment gets no request once it is cooling (counted per fake upstream).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { startFakeOllamaServer } from '../helpers/fake-ollama-server.js';

const HF_MODEL = 'huggingface:meta-llama/Llama-3.1-8B-Instruct';
const quiet = { telemetry: { logLevel: 'silent' as const } };
const CALLS = 100;
const CONCURRENCY = 10;

/** Run `total` calls, `concurrency` at a time; the failures they threw. */
async function inBatches(total: number, concurrency: number, call: () => Promise<unknown>): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < total) {
      try {
        await call();
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
}

describe('deployments on huggingface and ollama', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function switchboard(config: Record<string, unknown>): Promise<Switchboard> {
    const sb = await createSwitchboard({ config: { ...quiet, ...config } });
    cleanup.push(() => sb.close());
    return sb;
  }

  it('huggingface: two endpoints with their own tokens, one answering 503: 0 caller failures, the other serves', async () => {
    const servers = [await FakeOpenAIServer.start(), await FakeOpenAIServer.start()];
    for (const server of servers) cleanup.push(() => server.close());
    servers[0]!.respondWith(() => ({ kind: 'status', status: 503, message: 'Service Unavailable' }));
    const sb = await switchboard({
      providers: { huggingface: { deployments: servers.map((s, i) => ({ name: `tgi${i}`, baseURL: s.url, apiKey: `hf_deploymentToken${i}abcdef` })) } },
    });
    const failures = await inBatches(CALLS, CONCURRENCY, () => sb.chat({ model: HF_MODEL, messages: [{ role: 'user', content: 'hi' }] }));
    expect(failures).toEqual([]);
    expect(servers[1]!.requestCount).toBeGreaterThanOrEqual(CALLS);
    // A 503 cools the endpoint for routing.cooldownMs (30 s): only attempts routed before the first 503 reached it.
    expect(servers[0]!.requestCount).toBeGreaterThanOrEqual(1);
    expect(servers[0]!.requestCount).toBeLessThanOrEqual(CONCURRENCY);
    // Each deployment sends its own token to its own endpoint.
    expect(servers[1]!.requests.at(-1)!.headers['authorization']).toBe('Bearer hf_deploymentToken1abcdef');
    expect(servers[1]!.requests.at(-1)!.path).toBe('/v1/chat/completions');
    expect(sb.stats().byDeployment['huggingface/tgi0']).toMatchObject({ cooling: true, inFlight: 0 });
    expect(sb.stats().byDeployment['huggingface/tgi1']).toMatchObject({ errors: 0, inFlight: 0 });
  });

  it('huggingface: a 429 with Retry-After moves streams to the other endpoint, and none goes back while it cools', async () => {
    const servers = [await FakeOpenAIServer.start(), await FakeOpenAIServer.start()];
    for (const server of servers) cleanup.push(() => server.close());
    servers[0]!.respondWith(() => ({ kind: 'status', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '30' } }));
    const sb = await switchboard({
      providers: { huggingface: { apiKey: 'hf_providerTokenValue0001', deployments: servers.map((s, i) => ({ name: `e${i}`, baseURL: s.url })) } },
    });
    const failures = await inBatches(CALLS, CONCURRENCY, async () => {
      for await (const part of sb.stream({ model: HF_MODEL, messages: [{ role: 'user', content: 'hi' }] })) void part;
    });
    expect(failures).toEqual([]);
    expect(servers[0]!.requestCount).toBeLessThanOrEqual(CONCURRENCY);
    expect(servers[1]!.requestCount).toBeGreaterThanOrEqual(CALLS);
    // Without a token of its own a deployment sends the provider's.
    expect(servers[1]!.requests.at(-1)!.headers['authorization']).toBe('Bearer hf_providerTokenValue0001');
  });

  it('ollama: two servers, one answering 503 and one 429 with Retry-After in turn: 0 caller failures, chats and streams', async () => {
    const servers = [await startFakeOllamaServer(), await startFakeOllamaServer()];
    for (const server of servers) cleanup.push(() => server.close());
    // More scripted failures than calls: every request that reaches it fails.
    for (let i = 0; i < CALLS * 2; i++) servers[0]!.fail('llama3.2', i % 2 === 0 ? { kind: 'status', status: 503 } : { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    const sb = await switchboard({
      providers: { ollama: { baseURL: servers[0]!.url, deployments: servers.map((s, i) => ({ name: `gpu${i}`, baseURL: s.url })) } },
    });
    const failures = await inBatches(CALLS, CONCURRENCY, async () => {
      await sb.chat({ model: 'ollama:llama3.2', messages: [{ role: 'user', content: 'hi' }] });
      for await (const part of sb.stream({ model: 'ollama:llama3.2', messages: [{ role: 'user', content: 'hi' }] })) void part;
    });
    expect(failures).toEqual([]);
    const toFailing = servers[0]!.requests().filter((r) => r.path === '/api/chat').length;
    const toHealthy = servers[1]!.requests().filter((r) => r.path === '/api/chat').length;
    expect(toFailing).toBeGreaterThanOrEqual(1);
    expect(toFailing).toBeLessThanOrEqual(CONCURRENCY);
    expect(toHealthy).toBeGreaterThanOrEqual(CALLS * 2);
    expect(sb.stats().byDeployment['ollama/gpu1']).toMatchObject({ errors: 0, inFlight: 0 });
  });
});
