/**
 * Telemetry of `sb.embed` with the real OpenTelemetry SDK: one CLIENT span `embeddings {model}` per
 * upstream request (INTERNAL for llama.cpp) with `gen_ai.operation.name` = `embeddings`, the input
 * tokens, cost and dimension count, retries as span events; the duration and token-usage histograms
 * (input tokens only), the cost and request counters. The texts never reach a span, even with content
 * capture on.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createSwitchboard, type Switchboard } from '../../src/index.js';
import { GGUF_NAME, startEmbedUpstreams, type EmbedUpstreams } from '../helpers/embed-upstreams.js';
import { histogramPoints, makeHarness, sumPoints, type Harness } from '../unit/telemetry/otel-harness.js';

const SECRET_TEXT = 'patient record 4711 must stay private';

describe('sb.embed telemetry', () => {
  let upstreams: EmbedUpstreams;
  let harness: Harness;
  let sb: Switchboard;

  beforeAll(async () => {
    upstreams = await startEmbedUpstreams();
    harness = makeHarness();
    sb = await createSwitchboard({
      env: {},
      config: { telemetry: { logLevel: 'silent', captureContent: true }, resilience: { maxRetries: 1, retryBaseDelayMs: 5, retryMaxDelayMs: 10 }, providers: upstreams.providers() },
      tracerProvider: harness.tracerProvider,
      meterProvider: harness.meterProvider,
    });
  });
  afterAll(async () => {
    await sb?.close();
    await harness?.shutdown();
    await upstreams?.close();
  });

  it('one span per request with usage, cost and dimensions; histograms and counters with operation embeddings', async () => {
    upstreams.openai.script('text-embedding-3-small', { kind: 'status', status: 500 });
    const result = await sb.embed({ model: 'openai:text-embedding-3-small', input: [SECRET_TEXT, 'second text'], dimensions: 12 });
    expect(result.attempts).toBe(2);
    const spans = harness.finished().filter((span) => span.name === 'embeddings text-embedding-3-small');
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span!.kind).toBe(SpanKind.CLIENT);
    const { port } = new URL(upstreams.openai.url);
    expect(span!.attributes).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.embeddings.dimension.count': 12,
      'switchboard.embeddings.inputs': 2,
      'server.address': '127.0.0.1',
      'server.port': Number(port),
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.response.model': 'text-embedding-3-small',
      'switchboard.cost.usd': result.costUsd,
      'switchboard.attempts': 2,
    });
    expect(span!.events.map((event) => [event.name, event.attributes?.['error.type']])).toEqual([['retry', 'provider_error']]);
    expect(JSON.stringify(harness.finished().map((s) => [s.attributes, s.events]))).not.toContain('patient record');

    const base = { 'gen_ai.operation.name': 'embeddings', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'text-embedding-3-small', 'gen_ai.response.model': 'text-embedding-3-small' };
    const tokens = histogramPoints(await harness.metric('gen_ai.client.token.usage'));
    expect(tokens.map((point) => [point.attributes, point.value.sum])).toEqual([[{ ...base, 'gen_ai.token.type': 'input' }, 8]]);
    const duration = histogramPoints(await harness.metric('gen_ai.client.operation.duration'));
    expect(duration.map((point) => point.attributes)).toEqual([base]);
    const cost = sumPoints(await harness.metric('switchboard.cost'));
    expect(cost[0]!.value).toBeCloseTo((8 * 0.02) / 1e6, 15);
    const requests = sumPoints(await harness.metric('switchboard.requests'));
    expect(requests.map((point) => [point.attributes, point.value])).toEqual([[{ 'switchboard.outcome': 'ok' }, 1]]);
    const retries = sumPoints(await harness.metric('switchboard.retries'));
    expect(retries.map((point) => point.value)).toEqual([1]);
  });

  it('a failed request ends its span with error.type and counts the failed call', async () => {
    upstreams.openai.script('text-embedding-ada-002', { kind: 'status', status: 400 });
    await expect(sb.embed({ model: 'openai:text-embedding-ada-002', input: 'x' })).rejects.toThrow();
    const span = harness.finished().find((s) => s.name === 'embeddings text-embedding-ada-002')!;
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('invalid_request');
    const requests = sumPoints(await harness.metric('switchboard.requests'));
    expect(requests.find((point) => point.attributes['switchboard.outcome'] === 'invalid_request')?.value).toBe(1);
  });

  it('llama.cpp embeddings are INTERNAL spans with the model token count', async () => {
    const result = await sb.embed({ model: `llamacpp:${GGUF_NAME}`, input: 'hello world' });
    const span = harness.finished().find((s) => s.name === `embeddings ${GGUF_NAME}`)!;
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.attributes).toMatchObject({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.provider.name': 'llamacpp', 'gen_ai.usage.input_tokens': result.usage.inputTokens, 'gen_ai.embeddings.dimension.count': 64 });
  });
});
