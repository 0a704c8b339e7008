/**
 * `sb.stats()` source: totals, active calls, per-model and per-bot figures, nearest-rank latency
 * percentiles over a bounded window, and capped maps.
 */
import { describe, expect, it } from '@jest/globals';
import { AuthenticationError } from '../../../src/core/errors.js';
import { makeUsage } from '../../../src/core/usage.js';
import { OVERFLOW_KEY, StatsCollector } from '../../../src/telemetry/stats.js';
import { createTelemetry } from '../../../src/telemetry/telemetry.js';
import { chatRequest } from './otel-harness.js';

describe('StatsCollector', () => {
  it('computes nearest-rank p50 and p95 from the samples', () => {
    const stats = new StatsCollector();
    // 1..100 shuffled: p50 = 50, p95 = 95.
    const samples = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    for (const ms of samples) stats.inferenceFinished('p:m', undefined, undefined, null, ms);
    expect(stats.snapshot([]).byModel['p:m']!.latencyMs).toEqual({ p50: 50, p95: 95 });
  });

  it('keeps only the latest `window` samples', () => {
    const stats = new StatsCollector({ window: 4 });
    for (const ms of [1000, 1000, 1000, 1000, 1, 2, 3, 4]) stats.inferenceFinished('p:m', undefined, undefined, null, ms);
    const model = stats.snapshot([]).byModel['p:m']!;
    expect(model.latencyMs).toEqual({ p50: 2, p95: 4 });
    expect(model.requests).toBe(8);
  });

  it('reports zeros before any sample', () => {
    const stats = new StatsCollector();
    stats.inferenceFailed('p:m');
    expect(stats.snapshot([]).byModel['p:m']).toEqual({ requests: 1, errors: 1, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyMs: { p50: 0, p95: 0 } });
  });

  it('caps models and bots, counting the rest under _other', () => {
    const stats = new StatsCollector({ maxKeys: 3 });
    for (let i = 0; i < 10; i++) {
      stats.inferenceFinished(`p:m${i}`, `bot${i}`, makeUsage({ inputTokens: 1, outputTokens: 1 }), 0.5, 1);
      stats.callStarted();
      stats.callFinished(`bot${i}`);
    }
    const snap = stats.snapshot([]);
    expect(Object.keys(snap.byModel).sort()).toEqual([OVERFLOW_KEY, 'p:m0', 'p:m1', 'p:m2']);
    expect(snap.byModel[OVERFLOW_KEY]).toMatchObject({ requests: 7, inputTokens: 7, costUsd: 3.5 });
    expect(Object.keys(snap.byBot)).toHaveLength(4);
    expect(snap.byBot[OVERFLOW_KEY]).toEqual({ requests: 7, errors: 0, costUsd: 3.5 });
    expect(snap.totalCostUsd).toBe(5);
  });

  it('sums costs without float noise and ignores unpriced calls', () => {
    const stats = new StatsCollector();
    for (let i = 0; i < 10; i++) stats.inferenceFinished('p:m', 'b', undefined, 0.1, 1);
    stats.inferenceFinished('p:m', 'b', undefined, null, 1);
    const snap = stats.snapshot([]);
    expect(snap.totalCostUsd).toBe(1);
    expect(snap.byBot.b!.costUsd).toBe(1);
  });
});

describe('stats through the observer', () => {
  it('counts requests, active calls, errors, cache hits, tokens and cost', () => {
    const { observer, stats } = createTelemetry();
    const start = { operation: 'chat' as const, stream: false, bot: 'support', model: 'openai:gpt-4o-mini', messages: [], params: {} };
    const first = observer.startCall(start);
    const second = observer.startCall(start);
    const third = observer.startCall({ ...start, bot: undefined });
    const during = stats.snapshot(['openai:gpt-4o-mini']);
    expect(during.active).toBe(3);
    expect(during.activeCalls).toEqual([
      { id: expect.any(String), model: 'openai:gpt-4o-mini', bot: 'support', startedAt: expect.any(Number) },
      { id: expect.any(String), model: 'openai:gpt-4o-mini', bot: 'support', startedAt: expect.any(Number) },
      { id: expect.any(String), model: 'openai:gpt-4o-mini', startedAt: expect.any(Number) },
    ]);
    expect(new Set(during.activeCalls.map((call) => call.id)).size).toBe(3);

    const inference = observer.startInference({ operation: 'chat', provider: 'openai', model: 'gpt-4o-mini', request: chatRequest('gpt-4o-mini'), stream: false, inProcess: false, bot: 'support' });
    const usage = makeUsage({ inputTokens: 100, outputTokens: 20 });
    inference.end({ text: 'x', finishReason: 'stop', model: 'openai:gpt-4o-mini', toolCalls: [], usage, usageReported: true, costUsd: 0.002, attempts: 1, latencyMs: 42 });
    first.end({ id: 'a', text: 'x', model: 'openai:gpt-4o-mini', usage, costUsd: 0.002, cached: false, attempts: 1, adapters: [], latencyMs: 42, finishReason: 'stop' });
    second.cacheLookup(true);
    second.end({ id: 'a', text: 'x', model: 'openai:gpt-4o-mini', usage, costUsd: 0.002, cached: true, attempts: 0, adapters: [], latencyMs: 0, finishReason: 'stop' });
    third.fail(new AuthenticationError('no key'), 1);

    expect(stats.snapshot(['openai:gpt-4o-mini'])).toEqual({
      requests: 3,
      active: 0,
      activeCalls: [],
      // The two calls that answered (42 ms and a 0 ms cache hit); the failed one is not timed.
      totalLatencyMs: 42,
      averageLatencyMs: 21,
      errors: 1,
      cacheHits: 1,
      totalCostUsd: 0.002,
      loadedModels: ['openai:gpt-4o-mini'],
      byModel: { 'openai:gpt-4o-mini': { requests: 1, errors: 0, inputTokens: 100, outputTokens: 20, costUsd: 0.002, latencyMs: { p50: 42, p95: 42 } } },
      // Filled by the switchboard from its managers' deployment routers.
      byDeployment: {},
      byBot: { support: { requests: 2, errors: 0, costUsd: 0.002 } },
      byTenant: {},
    });
  });
});

describe('stats: latency totals and the active-call list', () => {
  it('averages the latencies of calls that succeeded and ignores failures', () => {
    const stats = new StatsCollector();
    expect(stats.snapshot([])).toMatchObject({ totalLatencyMs: 0, averageLatencyMs: 0, activeCalls: [] });
    for (const ms of [10, 20, 60]) stats.callFinished(undefined, ms, stats.callStarted({ model: 'p:m' }));
    stats.callFailed(undefined, stats.callStarted({ model: 'p:m' }));
    expect(stats.snapshot([])).toMatchObject({ requests: 4, errors: 1, totalLatencyMs: 90, averageLatencyMs: 30, active: 0, activeCalls: [] });
  });

  it('lists calls in flight oldest first with internal ids, and takes each off when it settles', () => {
    const stats = new StatsCollector();
    const before = Date.now();
    const a = stats.callStarted({ model: 'p:a', bot: 'support' });
    const b = stats.callStarted({ model: 'p:b' });
    const listed = stats.snapshot([]).activeCalls;
    expect(listed.map((call) => [call.id, call.model, call.bot])).toEqual([
      [a, 'p:a', 'support'],
      [b, 'p:b', undefined],
    ]);
    expect(listed[0]!.startedAt).toBeGreaterThanOrEqual(before);
    // A copy: changing it changes nothing inside.
    listed.pop();
    expect(stats.snapshot([]).activeCalls).toHaveLength(2);
    stats.callFinished('support', 5, a);
    expect(stats.snapshot([]).activeCalls.map((call) => call.id)).toEqual([b]);
    stats.callFailed(undefined, b);
    expect(stats.snapshot([]).activeCalls).toEqual([]);
  });

  it('is bounded: past maxActiveCalls calls are counted as active but not listed', () => {
    const stats = new StatsCollector({ maxActiveCalls: 2 });
    const ids = Array.from({ length: 5 }, () => stats.callStarted({ model: 'p:m' }));
    expect(ids.filter((id) => id !== undefined)).toHaveLength(2);
    const snap = stats.snapshot([]);
    expect(snap.active).toBe(5);
    expect(snap.activeCalls).toHaveLength(2);
    for (const id of ids) stats.callFinished(undefined, 1, id);
    expect(stats.snapshot([])).toMatchObject({ active: 0, activeCalls: [] });
  });

  it('lists a model and bot a caller made up under the bounded labels only', () => {
    const { observer, stats, labels } = createTelemetry();
    labels.setKnown({ model: (id) => id === 'openai:gpt-4o-mini', bot: (name) => name === 'support' });
    const recorder = observer.startCall({ operation: 'chat', stream: false, bot: 'made-up-bot', sessionId: 'caller-chosen-session', model: 'openai:invented-model', messages: [], params: {} });
    expect(stats.snapshot([]).activeCalls).toEqual([{ id: expect.any(String), model: 'openai:other', bot: 'other', startedAt: expect.any(Number) }]);
    expect(JSON.stringify(stats.snapshot([]))).not.toContain('caller-chosen-session');
    recorder.fail(new AuthenticationError('no key'), 0);
    expect(stats.snapshot([]).activeCalls).toEqual([]);
  });
});
