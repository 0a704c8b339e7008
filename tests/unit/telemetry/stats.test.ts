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
    expect(stats.snapshot(['openai:gpt-4o-mini']).active).toBe(3);

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
      errors: 1,
      cacheHits: 1,
      totalCostUsd: 0.002,
      loadedModels: ['openai:gpt-4o-mini'],
      byModel: { 'openai:gpt-4o-mini': { requests: 1, errors: 0, inputTokens: 100, outputTokens: 20, costUsd: 0.002, latencyMs: { p50: 42, p95: 42 } } },
      byBot: { support: { requests: 2, errors: 0, costUsd: 0.002 } },
    });
  });
});
