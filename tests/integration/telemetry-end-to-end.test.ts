/**
 * Issue 4's "done when": a bot call to OpenAI through a loopback fake yields the parent
 * `invoke_agent` span and the child inference span with exact usage, the histograms with points,
 * and a cost equal to the catalog price computation, through the real SDK and the whole pipeline.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SpanKind } from '@opentelemetry/api';
import { createSwitchboard, type StreamPart, type Switchboard } from '../../src/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { histogramPoints, makeHarness, sumPoints, type Harness } from '../unit/telemetry/otel-harness.js';

// config/models.json: openai:gpt-4o-mini at $0.15 input, $0.075 cache read, $0.60 output per MTok.
const PRICE = { input: 0.15, cacheRead: 0.075, output: 0.6 };

describe('telemetry end to end (bot -> OpenAI SDK -> loopback fake)', () => {
  let server: FakeOpenAIServer;
  let harness: Harness;
  let sb: Switchboard;

  beforeAll(async () => {
    server = await FakeOpenAIServer.start({ apiKey: 'sk-e2e-telemetry-canary-123456' });
    harness = makeHarness();
    sb = await createSwitchboard({
      config: {
        telemetry: { logLevel: 'silent' },
        providers: { openai: { apiKey: 'sk-e2e-telemetry-canary-123456', baseURL: server.baseURL } },
        bots: { support: { model: 'openai:gpt-4o-mini', system: 'Be brief.', params: { temperature: 0.3, maxTokens: 100 } } },
      },
      tracerProvider: harness.tracerProvider,
      meterProvider: harness.meterProvider,
    });
  });
  afterAll(async () => {
    await sb.close();
    await harness.shutdown();
    await server.close();
  });

  it('emits parent and child spans with exact usage, histogram points and the catalog cost', async () => {
    server.script('gpt-4o-mini', { text: 'Hello from the fake.', usage: { promptTokens: 1200, completionTokens: 80, cachedTokens: 1000 }, id: 'chatcmpl-e2e' });
    const session = await sb.sessions.start({ bot: 'support', userId: 'user-7' });
    const result = await sb.chat({ sessionId: session.id, messages: [{ role: 'user', content: 'hi' }] });

    const expectedCost = ((1200 - 1000) * PRICE.input + 1000 * PRICE.cacheRead + 80 * PRICE.output) / 1e6;
    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 80, totalTokens: 1280, cacheReadTokens: 1000 });
    expect(result.costUsd).toBeCloseTo(expectedCost, 12);

    const spans = harness.finished();
    const agent = spans.find((s) => s.name === 'invoke_agent support')!;
    const inference = spans.find((s) => s.name === 'chat gpt-4o-mini')!;
    expect(agent.kind).toBe(SpanKind.INTERNAL);
    expect(inference.kind).toBe(SpanKind.CLIENT);
    expect(inference.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support',
      'gen_ai.conversation.id': session.id,
      'switchboard.attempts': 1,
      'switchboard.cache.hit': false,
    });
    expect(agent.attributes['switchboard.cost.usd']).toBeCloseTo(expectedCost, 12);
    expect(inference.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.max_tokens': 100,
      'gen_ai.response.id': 'chatcmpl-e2e',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 80,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'server.address': '127.0.0.1',
    });
    // Content is not recorded unless asked for.
    for (const span of spans) {
      expect(Object.keys(span.attributes).filter((key) => /messages|system_instructions/.test(key))).toEqual([]);
    }

    const tokens = histogramPoints(await harness.metric('gen_ai.client.token.usage'));
    const input = tokens.find((p) => p.attributes['gen_ai.token.type'] === 'input')!;
    const output = tokens.find((p) => p.attributes['gen_ai.token.type'] === 'output')!;
    expect(input.value.sum).toBe(1200);
    expect(output.value.sum).toBe(80);
    expect(histogramPoints(await harness.metric('gen_ai.client.operation.duration'))[0].value.count).toBe(1);
    const cost = sumPoints(await harness.metric('switchboard.cost'));
    expect(cost.reduce((sum, p) => sum + p.value, 0)).toBeCloseTo(expectedCost, 12);
    for (const point of [...tokens, ...cost]) {
      expect(JSON.stringify(point.attributes)).not.toContain(session.id);
    }
  });

  it('a stream carries usage and cost and records time to first chunk', async () => {
    harness.spans.reset();
    server.script('gpt-4o-mini', { text: 'one two three', chunks: ['one ', 'two ', 'three'], usage: { promptTokens: 10, completionTokens: 3 } });
    let finish: Extract<StreamPart, { type: 'finish' }> | undefined;
    for await (const part of sb.stream({ bot: 'support', prompt: 'count' })) if (part.type === 'finish') finish = part;
    expect(finish!.result.usage).toMatchObject({ inputTokens: 10, outputTokens: 3 });
    expect(finish!.result.costUsd).toBeCloseTo((10 * PRICE.input + 3 * PRICE.output) / 1e6, 12);
    const inference = harness.finished().find((s) => s.name === 'text_completion gpt-4o-mini' || s.name === 'chat gpt-4o-mini')!;
    expect(inference.attributes['gen_ai.request.stream']).toBe(true);
    expect(inference.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
    expect(histogramPoints(await harness.metric('gen_ai.client.operation.time_to_first_chunk')).length).toBeGreaterThan(0);
  });

  it('closes the call when the consumer leaves a stream early: the agent span ends and nothing stays active', async () => {
    harness.spans.reset();
    server.script('gpt-4o-mini', { text: 'one two three', chunks: ['one ', 'two ', 'three'], usage: { promptTokens: 10, completionTokens: 3 } });
    const requestsBefore = sumPoints(await harness.metric('switchboard.requests')).reduce((sum, p) => sum + p.value, 0);
    for await (const part of sb.stream({ bot: 'support', prompt: 'leave early' })) {
      if (part.type === 'text-delta') break;
    }
    expect(sb.stats().active).toBe(0);
    const agent = harness.finished().find((s) => s.name === 'invoke_agent support');
    expect(agent).toBeDefined();
    expect(agent!.attributes['error.type']).toBe('aborted');
    const requests = sumPoints(await harness.metric('switchboard.requests'));
    expect(requests.reduce((sum, p) => sum + p.value, 0)).toBe(requestsBefore + 1);
    expect(requests.some((p) => p.attributes['switchboard.outcome'] === 'aborted')).toBe(true);
  });
});
