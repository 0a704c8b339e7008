/**
 * Fallbacks name the deployment (issue 17 "Telemetry"): when every deployment of a bot's primary
 * model fails and the call moves to its fallback model, the `fallback` switchboard event and the
 * `switchboard.fallback` event on the agent span carry `switchboard.deployment` = the last deployment
 * tried (never its key or URL); a fallback from a provider without deployments carries none. Real
 * SDKs against fake servers on loopback, the real OpenTelemetry SDK with an in-memory exporter.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import type { FallbackEvent } from '../../src/telemetry/events.js';
import { FakeAnthropicServer } from '../helpers/fake-anthropic-server.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { makeHarness, type Harness } from '../unit/telemetry/otel-harness.js';

const KEY = 'sk-fallback-deploy-0123456789abcdef';
const DEPLOY_KEYS = ['sk-fallback-d0-0123456789abcdef', 'sk-fallback-d1-0123456789abcdef'];
const FALLBACK = 'anthropic:claude-3-5-haiku-latest';

describe('fallback events name the deployment', () => {
  let failing: FakeOpenAIServer[];
  let plain: FakeOpenAIServer;
  let anthropic: FakeAnthropicServer;
  let harness: Harness;
  let sb: Switchboard;
  const events: FallbackEvent[] = [];

  beforeAll(async () => {
    failing = [await FakeOpenAIServer.start(), await FakeOpenAIServer.start()];
    for (const server of failing) server.respondWith(() => ({ kind: 'status', status: 503, message: 'Service Unavailable' }));
    plain = await FakeOpenAIServer.start();
    plain.respondWith(() => ({ kind: 'status', status: 500, message: 'Internal error' }));
    anthropic = await FakeAnthropicServer.start();
    harness = makeHarness();
    sb = await createSwitchboard({
      config: {
        telemetry: { logLevel: 'silent' },
        // No backoff retries: each deployment is tried once (the move between them is not a retry), then the fallback.
        resilience: { maxRetries: 0 },
        providers: {
          openai: { apiKey: KEY, baseURL: failing[0]!.baseURL, deployments: failing.map((s, i) => ({ name: `d${i}`, baseURL: s.baseURL, apiKey: DEPLOY_KEYS[i] })) },
          anthropic: { apiKey: 'sk-ant-fallback-0123456789', baseURL: anthropic.url },
          openaiCompatible: { plain: { baseURL: plain.baseURL } },
        },
        bots: {
          routed: { model: 'openai:gpt-4o-mini', fallbacks: [FALLBACK] },
          unrouted: { model: 'plain:some-model', fallbacks: [FALLBACK] },
        },
      },
      tracerProvider: harness.tracerProvider,
      meterProvider: harness.meterProvider,
    });
    sb.events.on('fallback', (event) => void events.push(event));
  });
  afterAll(async () => {
    await sb?.close();
    await harness?.shutdown();
    for (const server of [...(failing ?? []), plain, anthropic]) await server?.close();
  });

  it('every deployment failing: the fallback event and span event carry the last deployment tried', async () => {
    events.length = 0;
    const result = await sb.chat({ bot: 'routed', messages: [{ role: 'user', content: 'hi' }] });
    expect(result.model).toBe(FALLBACK);
    // Both deployments were tried, d0 first (least-busy: list order on a tie), then d1.
    expect(failing.map((s) => s.requestCount)).toEqual([1, 1]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ bot: 'routed', from: 'openai:gpt-4o-mini', to: FALLBACK, deployment: 'd1' });
    const agent = harness.finished().find((span) => span.name === 'invoke_agent routed');
    const fallback = agent?.events.find((event) => event.name === 'switchboard.fallback');
    expect(fallback?.attributes).toEqual({
      'switchboard.model': 'openai:gpt-4o-mini',
      'switchboard.fallback.to': FALLBACK,
      'error.type': 'provider_error',
      'switchboard.deployment': 'd1',
    });
    // The openai inference span went to d1 last: its server.port is d1's own (not the provider's d0 URL).
    const inference = harness.finished().find((span) => span.name === 'chat gpt-4o-mini');
    expect(inference?.attributes).toMatchObject({ 'switchboard.deployment': 'd1', 'server.address': '127.0.0.1', 'server.port': Number(new URL(failing[1]!.baseURL).port) });
    // Names only: never a key or a URL.
    const shown = JSON.stringify([events, agent?.events]);
    for (const secret of [KEY, ...DEPLOY_KEYS, failing[0]!.baseURL, failing[1]!.baseURL]) expect(shown).not.toContain(secret);
  });

  it('a provider without deployments: the fallback event and span event carry none', async () => {
    events.length = 0;
    const result = await sb.chat({ bot: 'unrouted', messages: [{ role: 'user', content: 'hi' }] });
    expect(result.model).toBe(FALLBACK);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ from: 'plain:some-model', to: FALLBACK });
    expect(events[0]).not.toHaveProperty('deployment');
    const agent = harness.finished().find((span) => span.name === 'invoke_agent unrouted');
    const fallback = agent?.events.find((event) => event.name === 'switchboard.fallback');
    expect(fallback?.attributes).toEqual({ 'switchboard.model': 'plain:some-model', 'switchboard.fallback.to': FALLBACK, 'error.type': 'provider_error' });
  });
});
