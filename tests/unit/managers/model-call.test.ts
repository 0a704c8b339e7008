/**
 * ModelCall on its own: one deadline per candidate, the caller's abort and the deadline both reach
 * the attempt under way, the controllers it builds per call stay few, and errors are mapped once.
 */
import { describe, expect, it } from '@jest/globals';
import { linkAbort } from '../../../src/core/abort.js';
import { mapProviderError } from '../../../src/core/error-mapping.js';
import { AbortError, ProviderError, TimeoutError } from '../../../src/core/errors.js';
import type { ModelInfo, ProviderRequest, ProviderResult } from '../../../src/core/types.js';
import { EMPTY_USAGE } from '../../../src/core/usage.js';
import { ModelCall, type ModelPort } from '../../../src/managers/model-call.js';
import type { InferenceRecorder } from '../../../src/telemetry/observer.js';

const request: ProviderRequest = { modelId: 'm', operation: 'chat', messages: [{ role: 'user', content: 'hi' }], params: {} };
const info: ModelInfo = { id: 'p:m', provider: 'p', model: 'm', capabilities: { streaming: true, tools: false, vision: false, json: false, reasoning: false }, local: false };

/** A port whose attempt is `attempt`, counting the controllers it links and the errors it maps. */
function port(attempt: (signal: AbortSignal) => Promise<ProviderResult>, timeoutMs = 5_000): ModelPort<string> & { links: number; mapped: number } {
  const counted = {
    provider: 'p',
    resilience: { maxRetries: 2, maxRetryAfterMs: 60_000, baseDelayMs: 1, maxDelayMs: 2, timeoutMs, firstChunkTimeoutMs: 0, idleChunkTimeoutMs: 0 },
    raceTimeouts: false,
    links: 0,
    mapped: 0,
    link(parent?: AbortSignal) {
      counted.links++;
      return linkAbort(parent);
    },
    lease: async () => ({ model: 'handle', release: () => undefined }),
    generate: (_model: string, _request: ProviderRequest, context: { signal: AbortSignal }) => attempt(context.signal),
    stream: () => {
      throw new Error('not used');
    },
    mapError(error: unknown, _request: ProviderRequest, signal?: AbortSignal) {
      counted.mapped++;
      return mapProviderError(error, { provider: 'p', model: 'm' }, signal);
    },
    finish: (_request: ProviderRequest, value: ProviderResult, attempts: number, latencyMs: number) => ({ ...value, model: 'p:m', toolCalls: value.toolCalls ?? [], usage: { ...EMPTY_USAGE }, usageReported: false, costUsd: null, attempts, latencyMs }),
  };
  return counted;
}

const recorder: InferenceRecorder = { retry() {}, firstChunk() {}, end() {}, fail() {} };
const call = (p: ModelPort<string>, signal = new AbortController().signal) => new ModelCall(p, request, { signal }, recorder, () => info);
const hang = (signal: AbortSignal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
const answer: ProviderResult = { text: 'ok', finishReason: 'stop' };

describe('ModelCall', () => {
  it('a call that succeeds at once links one controller (the deadline), not one more per attempt', async () => {
    const p = port(async () => answer);
    await expect(call(p).generate()).resolves.toMatchObject({ text: 'ok', attempts: 1 });
    expect(p.links).toBe(1);
  });

  it('retries run on a signal of their own, and the deadline aborts the attempt under way', async () => {
    const signals: AbortSignal[] = [];
    const p = port(async (signal) => {
      signals.push(signal);
      if (signals.length < 3) throw Object.assign(new Error('busy'), { status: 503 });
      return hang(signal);
    }, 80);
    const error = await call(p).generate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(signals).toHaveLength(3);
    expect(new Set(signals).size).toBe(3);
    expect(signals[2]!.aborted).toBe(true);
  });

  it("the caller's abort ends the attempt under way with AbortError, not retried", async () => {
    const caller = new AbortController();
    let attempts = 0;
    const p = port((signal) => {
      attempts++;
      return hang(signal);
    });
    setTimeout(() => caller.abort(), 20);
    const error = await call(p, caller.signal).generate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(attempts).toBe(1);
  });

  it('gives up after maxRetries with the last error, each failure mapped exactly once', async () => {
    let attempts = 0;
    const p = port(async () => {
      attempts++;
      throw Object.assign(new Error('down'), { status: 500 });
    });
    const error = await call(p).generate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(attempts).toBe(3);
    expect(p.mapped).toBe(3);
  });
});
