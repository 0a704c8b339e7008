/**
 * RELIABILITY.md "caller-controlled sizes": 200 distinct unknown model names of 8 KB each get 400
 * before any upstream call, and neither they nor hundreds of shorter unknown names (failing upstream,
 * or answering past the label cap) can grow `/metrics`, breakers or stats: `/metrics` stays < 1 MB
 * and parses, RSS grows < 20 MB, and model labels come from a bounded set (the rest are `other`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { garbageCollector } from '../helpers/gc.js';

const KEY = 'sk-sizes-Vt4Qm8Lx2Nc6Rb9Wz3Hd';
const GATEWAY_KEY = 'gw-sizes-tenant-Ka7Pw3Zn9Qe5';
const LABEL_CAP = 20;
/** A Prometheus text line: `# HELP/TYPE ...`, or `name{labels} value [timestamp]`. */
const EXPOSITION_LINE = /^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? [^ ]+( -?\d+)?)$/;

describe('reliability: caller-controlled sizes', () => {
  let server: FakeOpenAIServer;
  let gw: Gateway;

  beforeAll(async () => {
    server = await FakeOpenAIServer.start({ apiKey: KEY });
    // Names starting with "missing-" do not exist upstream; the rest answer (and echo their model).
    server.respondWith((_request, model) => (model.startsWith('missing-') ? { kind: 'status', status: 404, message: 'The model does not exist' } : undefined));
    gw = await startGateway({
      env: {},
      config: {
        providers: { openai: { apiKey: KEY, baseURL: server.baseURL } },
        resilience: { maxRetries: 0 },
        telemetry: { maxModelLabels: LABEL_CAP },
        server: { apiKeys: [{ key: GATEWAY_KEY, tenant: 't' }] },
      },
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await server?.close();
  });

  const post = (model: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('200 distinct unknown model names of 8 KB -> 400 before any upstream call; /metrics < 1 MB and parses; RSS growth < 20 MB', async () => {
    // Warm up first (code loading, JIT, fastify's caches), so RSS growth measures what the names add.
    for (let i = 0; i < 100; i++) await (await post(`openai:warm-${i}${'w'.repeat(8 * 1024)}`)).text();
    for (let i = 0; i < 50; i++) await (await post(`openai:missing-warm-${i}-${'x'.repeat(150)}`)).text();
    for (let i = 0; i < 50; i++) await (await post(`openai:warm-dynamic-${i}-${'y'.repeat(150)}`)).text();
    server.reset();
    server.respondWith((_request, model) => (model.startsWith('missing-') ? { kind: 'status', status: 404, message: 'The model does not exist' } : undefined));
    const gc = garbageCollector();
    gc?.();
    const rssBefore = process.memoryUsage().rss;
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    for (let i = 0; i < 200; i++) {
      const response = await post(`openai:${String(i).padStart(4, '0')}${'m'.repeat(8 * 1024)}`);
      const body = (await response.json()) as { error: { message: string } };
      count(response.status);
      // The answer names the limit and never repeats the id.
      expect(body.error.message).toMatch(/limits\.maxIdLength/);
      expect(body.error.message.length).toBeLessThan(300);
    }
    expect(server.requestCount).toBe(0);
    // Shorter unknown names: some fail upstream (never admitted), some answer (admitted up to the cap).
    for (let i = 0; i < 100; i++) count((await post(`openai:missing-${i}-${'x'.repeat(150)}`)).status);
    for (let i = 0; i < 100; i++) count((await post(`openai:dynamic-${i}-${'y'.repeat(150)}`)).status);
    // A line break in a name would break Prometheus lines: refused.
    count((await post('openai:bad\nname')).status);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const badLines = metrics.split('\n').filter((line) => line !== '' && !EXPOSITION_LINE.test(line));
    const modelLabels = new Set([...metrics.matchAll(/gen_ai_request_model="([^"]*)"/g)].map((match) => match[1]));
    const stats = gw.switchboard.stats();
    gc?.();
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1e6;
    console.log(
      `caller sizes: statuses ${JSON.stringify(Object.fromEntries(statuses))}; upstream requests ${server.requestCount}; /metrics ${metrics.length} bytes, ${modelLabels.size} model labels, ${badLines.length} bad lines; stats models ${Object.keys(stats.byModel).length}; RSS growth ${rssGrowthMb.toFixed(1)} MB`,
    );
    expect(statuses.get(400)).toBe(201);
    expect(server.requestCount).toBe(200);
    expect(statuses.get(404)).toBe(100);
    expect(statuses.get(200)).toBe(100);
    expect(metrics.length).toBeLessThan(1024 * 1024);
    expect(badLines).toEqual([]);
    // At most the cap of answered dynamic models, plus "other".
    expect(modelLabels.size).toBeLessThanOrEqual(LABEL_CAP + 1);
    expect(modelLabels.has('other')).toBe(true);
    // The cap filled during the warm-up: none of the later names became a label.
    expect([...modelLabels].some((label) => label.startsWith('dynamic-'))).toBe(false);
    expect([...modelLabels].some((label) => label.startsWith('missing-'))).toBe(false);
    expect(Object.keys(stats.byModel).length).toBeLessThanOrEqual(LABEL_CAP + 1);
    expect(rssGrowthMb).toBeLessThan(20);
  }, 120_000);
});
