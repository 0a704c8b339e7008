/**
 * Metrics (TELEMETRY.md "Metrics"): the spec's histograms with their exact buckets, the
 * switchboard counters, no cost point for an unpriced call, and the attribute allow-list.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { AuthenticationError, RateLimitError } from '../../../src/core/errors.js';
import { makeUsage } from '../../../src/core/usage.js';
import { createTelemetry } from '../../../src/telemetry/telemetry.js';
import { METRIC_ATTRIBUTE_ALLOW_LIST } from '../../../src/telemetry/semconv.js';
import { allowedAttributes, SwitchboardMetrics } from '../../../src/telemetry/metrics.js';
import type { Attributes, Meter } from '@opentelemetry/api';
import { CannedManager, PRICED, TestMetricReader, callContext, chatRequest, drain, histogramPoints, makeHarness, sumPoints, type Harness } from './otel-harness.js';

const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

let harness: Harness;
afterEach(async () => {
  await harness.shutdown();
});

describe('GenAI histograms', () => {
  it('record duration and input/output tokens with the spec buckets and attributes', async () => {
    harness = makeHarness();
    const manager = new CannedManager(harness.telemetry.observer, [{ kind: 'answer', text: 'x', usage: makeUsage({ inputTokens: 1200, outputTokens: 300 }), responseModel: 'priced-2025' }], { catalog: PRICED });
    await manager.generateResponse(chatRequest('priced'), callContext({ bot: 'support', sessionId: 'sess-1' }));

    const duration = await harness.metric('gen_ai.client.operation.duration');
    expect(duration?.descriptor.unit).toBe('s');
    const [point] = histogramPoints(duration);
    expect(point!.value.buckets.boundaries).toEqual(DURATION_BUCKETS);
    expect(point!.value.count).toBe(1);
    expect(point!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'canned',
      'gen_ai.request.model': 'priced',
      'gen_ai.response.model': 'priced-2025',
    });

    const tokens = await harness.metric('gen_ai.client.token.usage');
    expect(tokens?.descriptor.unit).toBe('{token}');
    const byType = Object.fromEntries(histogramPoints(tokens).map((p) => [p.attributes['gen_ai.token.type'], p]));
    expect(byType.input!.value.buckets.boundaries).toEqual(TOKEN_BUCKETS);
    expect(byType.input!.value.sum).toBe(1200);
    expect(byType.output!.value.sum).toBe(300);
    // 1200 falls in (1024, 4096]: bucket index 6; 300 in (256, 1024]: index 5.
    expect(byType.input!.value.buckets.counts[6]).toBe(1);
    expect(byType.output!.value.buckets.counts[5]).toBe(1);
  });

  it('records time to first chunk for streams only, with the duration buckets', async () => {
    harness = makeHarness();
    const plain = new CannedManager(harness.telemetry.observer, [{ kind: 'answer', text: 'x' }]);
    await plain.generateResponse(chatRequest('m'), callContext());
    expect(histogramPoints(await harness.metric('gen_ai.client.operation.time_to_first_chunk'))).toHaveLength(0);

    const streaming = new CannedManager(harness.telemetry.observer, [{ kind: 'stream', deltas: ['a', 'b'] }]);
    await drain(streaming.streamResponse(chatRequest('m'), callContext()));
    const [point] = histogramPoints(await harness.metric('gen_ai.client.operation.time_to_first_chunk'));
    expect(point!.value.count).toBe(1);
    expect(point!.value.buckets.boundaries).toEqual(DURATION_BUCKETS);
  });

  it('adds error.type to the duration of a failed inference and records no tokens for it', async () => {
    harness = makeHarness();
    const manager = new CannedManager(harness.telemetry.observer, [{ kind: 'error', error: new AuthenticationError('bad key') }]);
    await expect(manager.generateResponse(chatRequest('m'), callContext())).rejects.toThrow();
    const [point] = histogramPoints(await harness.metric('gen_ai.client.operation.duration'));
    expect(point!.attributes['error.type']).toBe('authentication');
    expect(histogramPoints(await harness.metric('gen_ai.client.token.usage'))).toHaveLength(0);
  });
});

describe('switchboard counters', () => {
  it('adds the priced cost in USD by provider, model and bot, and nothing for an unpriced call', async () => {
    harness = makeHarness();
    const usage = makeUsage({ inputTokens: 1_000_000, outputTokens: 1_000_000 });
    const priced = new CannedManager(harness.telemetry.observer, [{ kind: 'answer', text: 'x', usage }], { catalog: PRICED });
    await priced.generateResponse(chatRequest('priced'), callContext({ bot: 'support' }));
    const unpriced = new CannedManager(harness.telemetry.observer, [{ kind: 'answer', text: 'x', usage }]);
    const free = await unpriced.generateResponse(chatRequest('unlisted'), callContext({ bot: 'support' }));
    expect(free.costUsd).toBeNull();

    const cost = await harness.metric('switchboard.cost');
    expect(cost?.descriptor.unit).toBe('USD');
    const points = sumPoints(cost);
    expect(points).toHaveLength(1);
    expect(points[0]!.attributes).toEqual({ 'gen_ai.provider.name': 'canned', 'gen_ai.request.model': 'priced', 'gen_ai.agent.name': 'support' });
    expect(points[0]!.value).toBeCloseTo(0.75, 12); // 1M × $0.15 + 1M × $0.60
  });

  it('counts requests by outcome, cache lookups, retries and fallbacks', async () => {
    harness = makeHarness();
    const { observer } = harness.telemetry;
    const ok = observer.startCall({ operation: 'chat', stream: false, bot: 'support', model: 'canned:m', messages: [], params: {} });
    ok.cacheLookup(false);
    const manager = new CannedManager(observer, [{ kind: 'error', error: new RateLimitError('busy', { retryAfterMs: 1 }) }, { kind: 'answer', text: 'x' }], { maxRetries: 1 });
    await manager.generateResponse(chatRequest('m'), callContext({ bot: 'support', telemetryParent: ok.parent }));
    ok.fallback('canned:m', 'canned:n', new RateLimitError('busy'));
    ok.end({ id: 'r', text: 'x', model: 'canned:n', usage: makeUsage({ inputTokens: 1, outputTokens: 1 }), costUsd: null, cached: false, attempts: 2, adapters: [], latencyMs: 1, finishReason: 'stop' });
    const hit = observer.startCall({ operation: 'chat', stream: false, bot: 'support', model: 'canned:m', messages: [], params: {} });
    hit.cacheLookup(true);
    hit.end({ id: 'r', text: 'x', model: 'canned:m', usage: makeUsage({ inputTokens: 1, outputTokens: 1 }), costUsd: null, cached: true, attempts: 0, adapters: [], latencyMs: 0, finishReason: 'stop' });
    const bad = observer.startCall({ operation: 'chat', stream: false, model: 'canned:m', messages: [], params: {} });
    bad.fail(new AuthenticationError('no'), 1);

    const requests = sumPoints(await harness.metric('switchboard.requests')).map((p) => [p.attributes, p.value]);
    expect(requests).toEqual(
      expect.arrayContaining([
        [{ 'gen_ai.agent.name': 'support', 'switchboard.outcome': 'ok' }, 2],
        [{ 'switchboard.outcome': 'authentication' }, 1],
      ]),
    );
    const lookups = sumPoints(await harness.metric('switchboard.cache.lookups')).map((p) => [p.attributes['switchboard.cache.result'], p.value]);
    expect(Object.fromEntries(lookups)).toEqual({ miss: 1, hit: 1 });
    const [retry] = sumPoints(await harness.metric('switchboard.retries'));
    expect(retry!.attributes).toEqual({ 'gen_ai.provider.name': 'canned', 'gen_ai.request.model': 'm', 'error.type': 'rate_limit' });
    expect(retry!.value).toBe(1);
    const [fallback] = sumPoints(await harness.metric('switchboard.fallbacks'));
    expect(fallback!.attributes).toEqual({ 'gen_ai.provider.name': 'canned', 'gen_ai.request.model': 'm', 'gen_ai.agent.name': 'support', 'error.type': 'rate_limit' });
  });
});

describe('attribute allow-list', () => {
  it('never puts a session, user or tenant id on any metric point', async () => {
    harness = makeHarness();
    const { observer } = harness.telemetry;
    const call = observer.startCall({ operation: 'chat', stream: true, bot: 'support', sessionId: 'sess-SECRET-ID', model: 'canned:priced', messages: [], params: {} });
    call.cacheLookup(false);
    const manager = new CannedManager(observer, [{ kind: 'stream', deltas: ['a'], usage: makeUsage({ inputTokens: 5, outputTokens: 1 }) }], { catalog: PRICED });
    const ctx = callContext({ bot: 'support', sessionId: 'sess-SECRET-ID', userId: 'user-SECRET-ID', tenantId: 'tenant-SECRET-ID', telemetryParent: call.parent });
    await drain(manager.streamResponse(chatRequest('priced'), ctx));
    call.end({ id: 'r', text: 'a', model: 'canned:priced', usage: makeUsage({ inputTokens: 5, outputTokens: 1 }), costUsd: 0.1, cached: false, attempts: 1, adapters: [], latencyMs: 1, finishReason: 'stop' });

    const all = await harness.allMetrics();
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const metric of all) {
      for (const point of metric.dataPoints) {
        for (const key of Object.keys(point.attributes)) expect(METRIC_ATTRIBUTE_ALLOW_LIST).toContain(key);
        expect(JSON.stringify(point.attributes)).not.toContain('SECRET-ID');
      }
    }
  });

  it('drops any key not on the list and empty values', () => {
    expect(allowedAttributes({ 'gen_ai.provider.name': 'openai', 'gen_ai.conversation.id': 's1', 'user.id': 'u', 'gen_ai.agent.name': undefined, 'error.type': '' })).toEqual({
      'gen_ai.provider.name': 'openai',
    });
  });
});

describe('meter provider resolution', () => {
  it('follows a global meter provider registered after createTelemetry', async () => {
    const telemetry = createTelemetry();
    const reader = new TestMetricReader();
    const provider = new MeterProvider({ readers: [reader] });
    harness = makeHarness();
    const fail = () => telemetry.observer.startCall({ operation: 'chat', stream: false, bot: 'late', model: 'canned:m', messages: [], params: {} }).fail(new AuthenticationError('x'), 1);
    try {
      fail(); // goes to the no-op global meter
      expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
      fail();
      const { resourceMetrics } = await reader.collect();
      const requests = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'switchboard.requests');
      expect(sumPoints(requests).map((p) => p.value)).toEqual([1]);
    } finally {
      metrics.disable();
      await provider.shutdown();
    }
  });
});

describe('attribute sets on the hot path', () => {
  /** A meter whose instruments remember the attribute objects they were given. */
  function recordingMeter(): { meter: Meter; seen: Attributes[] } {
    const seen: Attributes[] = [];
    const instrument = { record: (_v: number, attributes: Attributes) => seen.push(attributes), add: (_v: number, attributes: Attributes) => seen.push(attributes) };
    const meter = { createHistogram: () => instrument, createCounter: () => instrument } as unknown as Meter;
    return { meter, seen };
  }

  it('filters each distinct attribute set once and hands the SDK the same frozen object every call', () => {
    harness = makeHarness();
    const { meter, seen } = recordingMeter();
    const recorder = new SwitchboardMetrics(meter);
    const key = { operation: 'chat', provider: 'openai', model: 'gpt-4o-mini', bot: 'support' };
    const measured = { durationS: 0.1, usage: makeUsage({ inputTokens: 3, outputTokens: 4 }), costUsd: 0.001, responseModel: 'gpt-4o-mini-2024' };
    recorder.recordInference(key, measured);
    recorder.recordRequest('support');
    const first = [...seen];
    seen.length = 0;
    recorder.recordInference(key, measured);
    recorder.recordRequest('support');
    expect(seen).toHaveLength(first.length);
    seen.forEach((attributes, i) => expect(attributes).toBe(first[i]));
    for (const attributes of seen) expect(Object.isFrozen(attributes)).toBe(true);
    // A different model is a different set, with its own values.
    recorder.recordInference({ ...key, model: 'gpt-4o' }, measured);
    expect(seen[seen.length - 4]).toEqual({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-mini-2024' });
  });

  it('stays bounded however many distinct models it sees', () => {
    harness = makeHarness();
    const { meter } = recordingMeter();
    const recorder = new SwitchboardMetrics(meter);
    for (let i = 0; i < 5000; i++) recorder.recordInference({ operation: 'chat', provider: 'openai', model: `m-${i}` }, { durationS: 0.1, costUsd: null });
    const sets = (recorder as unknown as { inferenceSets: Map<string, unknown> }).inferenceSets;
    expect(sets.size).toBeLessThanOrEqual(1024);
  });
});
