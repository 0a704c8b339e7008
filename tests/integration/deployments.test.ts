/**
 * Issue 17's deployments "done when", against real SDKs and fake provider servers on loopback (one
 * fake per deployment): a provider with two deployments, one answering 429 with Retry-After 2 s,
 * serves 500 calls with 0 failures and sends none to the cooling deployment during its cooldown; four
 * deployments with their own 429 scripts under concurrency 50; a `weighted` split by a seeded random
 * source; the same with anthropic (the router is provider-independent); byDeployment stats and the
 * deployment on retry events.
 *
 * "During its cooldown" is judged where requests leave: the provider's `fetch` (every deployment
 * inherits it) records when each request to a deployment is sent and when a 429 comes back; no request
 * may be sent to it in (429 + slack, 429 + cooldown - slack). The slack covers attempts that were routed
 * before the 429 arrived and reach fetch a moment later; no assertion bounds how long anything takes.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import type { RetryEvent } from '../../src/telemetry/events.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { seededRandom } from '../helpers/seeded-random.js';

const KEY = 'sk-deploy-test-0123456789abcdef';
const quiet = { telemetry: { logLevel: 'silent' as const } };
/** An attempt routed just before a 429 came back may reach fetch a moment after it. */
const SLACK_MS = 50;

interface Upstream {
  script429: (headers: Record<string, string>) => void;
  close(): Promise<void>;
  url: string;
  requestCount: number;
}

/** An OpenAI fake that, when told, answers every request 429 with `headers`. */
async function openAIUpstream(): Promise<Upstream> {
  const server = await FakeOpenAIServer.start();
  let fault: Record<string, string> | undefined;
  server.respondWith(() => (fault ? { kind: 'status', status: 429, message: 'Rate limit reached', headers: fault } : undefined));
  return {
    script429: (headers) => (fault = headers),
    close: () => server.close(),
    url: server.baseURL,
    get requestCount() {
      return server.requestCount;
    },
  };
}

/** Send and 429 times per host, seen by the client's fetch. */
class SendLog {
  private readonly sends = new Map<string, number[]>();
  private readonly rejections = new Map<string, number[]>();
  readonly fetch: typeof fetch = async (input, init) => {
    const host = new URL(input instanceof Request ? input.url : String(input)).host;
    push(this.sends, host, performance.now());
    const response = await fetch(input, init);
    if (response.status === 429) push(this.rejections, host, performance.now());
    return response;
  };

  /** Requests sent to `url`'s host inside one of its cooldowns. */
  duringCooldown(url: string, cooldownMs: number): number {
    const host = new URL(url).host;
    const rejected = this.rejections.get(host) ?? [];
    return (this.sends.get(host) ?? []).filter((t) => rejected.some((r) => t > r + SLACK_MS && t < r + cooldownMs - SLACK_MS)).length;
  }

  rejected(url: string): number {
    return this.rejections.get(new URL(url).host)?.length ?? 0;
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

async function inBatches(total: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      try {
        await call(i);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failures;
}

describe('deployments', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function switchboard(config: Record<string, unknown>, random?: () => number): Promise<Switchboard> {
    const sb = await createSwitchboard({ config: { ...quiet, ...config }, routingRandom: random });
    cleanup.push(() => sb.close());
    return sb;
  }

  it('two deployments, one answering 429 with Retry-After 2 s: 500 calls, 0 failures, none sent to it while it cools', async () => {
    const [east, west] = [await openAIUpstream(), await openAIUpstream()];
    cleanup.push(() => east.close(), () => west.close());
    east.script429({ 'retry-after': '2' });
    const log = new SendLog();
    const sb = await switchboard({
      providers: { openai: { apiKey: KEY, baseURL: east.url, fetch: log.fetch, deployments: [{ name: 'east', baseURL: east.url }, { name: 'west', baseURL: west.url }] } },
    });
    const retries: RetryEvent[] = [];
    sb.events.on('retry', (event) => void retries.push(event));
    const failures = await inBatches(500, 10, () => sb.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect(failures).toEqual([]);
    expect(west.requestCount).toBeGreaterThanOrEqual(500);
    expect(log.rejected(east.url)).toBeGreaterThanOrEqual(1);
    expect(log.duringCooldown(east.url, 2000)).toBe(0);
    // The failover names the deployment that failed, never its URL or key.
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.every((event) => event.deployment === 'east')).toBe(true);
    expect(JSON.stringify(retries)).not.toContain(KEY);
    const stats = sb.stats().byDeployment;
    expect(stats['openai/west']).toMatchObject({ errors: 0, inFlight: 0 });
    expect(stats['openai/west']!.requests).toBeGreaterThanOrEqual(500);
    expect(stats['openai/east']!.errors).toBe(log.rejected(east.url));
  });

  it('four deployments with their own 429 scripts under concurrency 50: 0 caller failures while one is healthy', async () => {
    const upstreams = await Promise.all([0, 1, 2, 3].map(() => openAIUpstream()));
    for (const upstream of upstreams) cleanup.push(() => upstream.close());
    upstreams[0]!.script429({ 'retry-after': '1' });
    upstreams[1]!.script429({ 'retry-after-ms': '700' });
    upstreams[2]!.script429({});
    const log = new SendLog();
    const sb = await switchboard({
      routing: { cooldownMs: 1500 },
      providers: { openai: { apiKey: KEY, baseURL: upstreams[0]!.url, fetch: log.fetch, deployments: upstreams.map((u, i) => ({ name: `d${i}`, baseURL: u.url })) } },
    });
    const failures = await inBatches(1000, 50, () => sb.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect(failures).toEqual([]);
    expect(upstreams[3]!.requestCount).toBeGreaterThanOrEqual(1000);
    expect(log.rejected(upstreams[0]!.url)).toBeGreaterThanOrEqual(1);
    expect(log.duringCooldown(upstreams[0]!.url, 1000)).toBe(0);
    expect(log.duringCooldown(upstreams[1]!.url, 700)).toBe(0);
    expect(log.duringCooldown(upstreams[2]!.url, 1500)).toBe(0);
  });

  it('weighted: the split follows the weights within 10 % (seeded random source)', async () => {
    const upstreams = await Promise.all([0, 1, 2, 3].map(() => openAIUpstream()));
    for (const upstream of upstreams) cleanup.push(() => upstream.close());
    const weights = [1, 2, 3, 4];
    const sb = await switchboard(
      {
        routing: { strategy: 'weighted' },
        providers: { openai: { apiKey: KEY, baseURL: upstreams[0]!.url, deployments: upstreams.map((u, i) => ({ name: `w${i}`, baseURL: u.url, weight: weights[i] })) } },
      },
      seededRandom(17),
    );
    const total = 2000;
    const failures = await inBatches(total, 50, () => sb.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect(failures).toEqual([]);
    upstreams.forEach((upstream, i) => {
      const expected = (total * weights[i]!) / 10;
      expect(Math.abs(upstream.requestCount - expected)).toBeLessThanOrEqual(expected * 0.1);
    });
  });

  it('anthropic: the same failover to the healthy deployment (the router is provider-independent)', async () => {
    const servers = [await FakeAnthropicServer.start(), await FakeAnthropicServer.start()];
    for (const server of servers) cleanup.push(() => server.close());
    servers[0]!.respondWith(() => ({ kind: 'status', status: 529, message: 'Overloaded' }));
    const sb = await switchboard({
      providers: { anthropic: { apiKey: 'sk-ant-provider-0123456789', baseURL: servers[0]!.url, deployments: servers.map((s, i) => ({ name: `a${i}`, baseURL: s.url, apiKey: `sk-ant-deploy-${i}-0123456789` })) } },
    });
    const failures = await inBatches(100, 10, () => sb.chat({ model: 'anthropic:claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'hi' }] }));
    expect(failures).toEqual([]);
    expect(servers[1]!.requestCount).toBeGreaterThanOrEqual(100);
    // 529 cools the deployment for routing.cooldownMs (30 s): the calls in flight at once reached it, no later one.
    expect(servers[0]!.requestCount).toBeLessThanOrEqual(10);
    // Each deployment sends its own key.
    expect(servers[1]!.requests.at(-1)!.headers['authorization']).toBe('Bearer sk-ant-deploy-1-0123456789');
    expect(sb.stats().byDeployment['anthropic/a0']).toMatchObject({ cooling: true });
  });
});
