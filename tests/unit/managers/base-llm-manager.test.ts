/**
 * The template method's shared behaviour, driven by a small in-test manager whose attempts are
 * scripted: retries, Retry-After, timeouts, stream safety, model loading through the cache.
 * No test asserts an upper bound on elapsed time (a loaded machine would break it): "at once" is
 * shown by counting (no retry was scheduled) or by a gate that never opens before the outcome.
 */
import { describe, expect, it } from '@jest/globals';
import {
  AbortError,
  AuthenticationError,
  InvalidRequestError,
  ProviderError,
  RateLimitError,
  StreamInterruptedError,
  TimeoutError,
} from '../../../src/core/errors.js';
import type { CallContext, ManagedStreamPart, ProviderRequest, ProviderResult, ProviderStreamPart } from '../../../src/core/types.js';
import { BaseLLMManager, type ManagerDeps } from '../../../src/managers/base-llm-manager.js';
import { noopObserver, type CallObserver } from '../../../src/telemetry/observer.js';
import { makeManagerDeps } from '../../helpers/manager-deps.js';

type Step = (signal: AbortSignal) => Promise<ProviderResult> | AsyncIterable<ProviderStreamPart>;

class ScriptedManager extends BaseLLMManager<string> {
  readonly provider = 'scripted';
  steps: Step[] = [];
  loads = 0;
  unloads = 0;
  key = 'k';
  constructor(deps: ManagerDeps, private readonly streams = true) {
    super(deps);
    if (!streams) this.doStream = undefined;
  }
  protected override notReadyReason() {
    return this.key ? undefined : 'set SCRIPTED_KEY';
  }
  protected async loadModel(modelId: string) {
    this.loads++;
    return `model:${modelId}`;
  }
  protected override async unloadModel() {
    this.unloads++;
  }
  private next(signal: AbortSignal) {
    const step = this.steps.shift();
    if (!step) throw new Error('no scripted step left');
    return step(signal);
  }
  protected async doGenerate(_model: string, _request: ProviderRequest, context: CallContext) {
    return this.next(context.signal) as Promise<ProviderResult>;
  }
  protected override doStream? = (_model: string, _request: ProviderRequest, context: CallContext) =>
    this.next(context.signal) as AsyncIterable<ProviderStreamPart>;
}

const request: ProviderRequest = { modelId: 'm', messages: [{ role: 'user', content: 'hi' }], params: {}, operation: 'chat' };
const ctx = (signal = new AbortController().signal): CallContext => ({ signal });
const ok = (text = 'hello'): Step => async () => ({ text, finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 } });
const status = (code: number, headers: Record<string, string> = {}): Step => async () => {
  throw Object.assign(new Error(`status ${code}`), { status: code, headers });
};
const hang: Step = (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
function chunks(parts: ProviderStreamPart[], opts: { hangAfter?: boolean; delayMs?: number } = {}): Step {
  return (signal) =>
    (async function* () {
      for (const part of parts) {
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        yield part;
      }
      if (opts.hangAfter) await hang(signal);
    })();
}
async function collect(stream: AsyncIterable<ManagedStreamPart>) {
  const parts: ManagedStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}
const finish: ProviderStreamPart = { type: 'finish', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } };

/** An observer that counts the retries managers report, with the delay each one waits. */
function retryCounter(): { observer: CallObserver; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    observer: { ...noopObserver, startInference: () => ({ retry: (_attempt, _error, delayMs) => void delays.push(delayMs), firstChunk() {}, end() {}, fail() {} }) },
  };
}

/** A promise that resolves only when the test says so. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Let timers and I/O run until `condition` holds (at most `turns` turns of 5 ms); returns whether it held. */
async function until(condition: () => boolean, turns = 400): Promise<boolean> {
  for (let turn = 0; turn < turns && !condition(); turn++) await new Promise((resolve) => setTimeout(resolve, 5));
  return condition();
}

describe('BaseLLMManager', () => {
  it('answers, prices from the catalog and loads the model once through the cache', async () => {
    const deps = makeManagerDeps({ catalog: { 'scripted:m': { pricing: { inputPerMTok: 1, outputPerMTok: 2 } } } });
    const manager = new ScriptedManager(deps);
    manager.steps.push(ok(), ok());
    const first = await manager.generateResponse(request, ctx());
    await manager.generateResponse(request, ctx());
    expect(first).toMatchObject({ text: 'hello', model: 'scripted:m', attempts: 1, usageReported: true });
    expect(first.costUsd).toBeCloseTo((3 * 1 + 2 * 2) / 1e6, 12);
    expect(manager.loads).toBe(1);
    await deps.modelCache.clear();
    expect(manager.unloads).toBe(1);
  });

  it('retries retryable statuses and honours retry-after-ms', async () => {
    const { observer, delays } = retryCounter();
    const manager = new ScriptedManager(makeManagerDeps({ resilience: { maxRetries: 2 }, observer }));
    manager.steps.push(status(503), status(429, { 'retry-after-ms': '40' }), ok());
    const started = performance.now();
    const result = await manager.generateResponse(request, ctx());
    expect(result.attempts).toBe(3);
    // The second wait is exactly what the 429 asked for.
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBe(40);
    expect(performance.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('makes exactly one attempt for non-retryable failures', async () => {
    for (const [code, type] of [[400, InvalidRequestError], [401, AuthenticationError]] as const) {
      const manager = new ScriptedManager(makeManagerDeps({ resilience: { maxRetries: 3 } }));
      let attempts = 0;
      manager.steps.push(status(code), ok());
      await expect(manager.generateResponse(request, { ...ctx(), onAttempt: () => attempts++ })).rejects.toBeInstanceOf(type);
      expect(attempts).toBe(1);
    }
  });

  it('gives up at once when Retry-After is longer than allowed', async () => {
    const { observer, delays } = retryCounter();
    const manager = new ScriptedManager(makeManagerDeps({ resilience: { maxRetries: 3, maxRetryAfterMs: 1000 }, observer }));
    manager.steps.push(status(429, { 'retry-after': '3600' }), ok());
    let attempts = 0;
    const error = await manager.generateResponse(request, { ...ctx(), onAttempt: () => attempts++ }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(3_600_000);
    // "At once": one attempt, and no wait was ever scheduled.
    expect(attempts).toBe(1);
    expect(delays).toEqual([]);
    expect(manager.steps).toHaveLength(1);
  });

  it('times out a hung call with TimeoutError and does not retry past the deadline', async () => {
    const manager = new ScriptedManager(makeManagerDeps({ resilience: { maxRetries: 3, timeoutMs: 60 } }));
    manager.steps.push(hang, hang, hang, hang);
    await expect(manager.generateResponse(request, ctx())).rejects.toBeInstanceOf(TimeoutError);
    expect(manager.steps.length).toBe(3);
  });

  it('rejects with AbortError when the caller aborts', async () => {
    const manager = new ScriptedManager(makeManagerDeps());
    manager.steps.push(hang);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(manager.generateResponse(request, ctx(controller.signal))).rejects.toBeInstanceOf(AbortError);
  });

  it('refuses calls with AuthenticationError naming what to set when not ready', async () => {
    const manager = new ScriptedManager(makeManagerDeps());
    manager.key = '';
    expect(manager.status()).toEqual({ name: 'scripted', ready: false, reason: 'set SCRIPTED_KEY' });
    await expect(manager.generateResponse(request, ctx())).rejects.toThrow(/SCRIPTED_KEY/);
    expect(() => manager.streamResponse(request, ctx())).toThrow(AuthenticationError);
  });

  it('streams deltas then exactly one finish', async () => {
    const manager = new ScriptedManager(makeManagerDeps());
    manager.steps.push(chunks([{ type: 'text-delta', text: 'a' }, { type: 'text-delta', text: 'b' }, finish]));
    const parts = await collect(manager.streamResponse(request, ctx()));
    expect(parts.map((p) => p.type)).toEqual(['text-delta', 'text-delta', 'finish']);
    const last = parts[2] as Extract<ManagedStreamPart, { type: 'finish' }>;
    expect(last.result).toMatchObject({ text: 'ab', usage: { inputTokens: 1, outputTokens: 2 } });
  });

  it('streams one delta from doGenerate when the subclass has no doStream', async () => {
    const manager = new ScriptedManager(makeManagerDeps(), false);
    manager.steps.push(ok('whole'));
    const parts = await collect(manager.streamResponse(request, ctx()));
    expect(parts).toHaveLength(2);
    expect(parts[0]).toEqual({ type: 'text-delta', text: 'whole' });
  });

  it('a stream that ends without finish after a delta is an interruption with the partial text', async () => {
    const manager = new ScriptedManager(makeManagerDeps({ resilience: { maxRetries: 2 } }));
    manager.steps.push(chunks([{ type: 'text-delta', text: 'par' }, { type: 'text-delta', text: 'tial' }]));
    const error = await collect(manager.streamResponse(request, ctx())).catch((e) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error.partialText).toBe('partial');
    expect(manager.steps.length).toBe(0);
  });

  it('retries a stream that fails before its first delta', async () => {
    const manager = new ScriptedManager(makeManagerDeps({ resilience: { maxRetries: 1 } }));
    const failingStream: Step = () =>
      (async function* (): AsyncGenerator<ProviderStreamPart> {
        throw Object.assign(new Error('status 500'), { status: 500 });
      })();
    manager.steps.push(failingStream, chunks([{ type: 'text-delta', text: 'x' }, finish]));
    const parts = await collect(manager.streamResponse(request, ctx()));
    expect((parts.at(-1) as Extract<ManagedStreamPart, { type: 'finish' }>).result.attempts).toBe(2);
  });

  it('an idle stream is aborted at the idle timeout', async () => {
    const manager = new ScriptedManager(makeManagerDeps({ resilience: { idleChunkTimeoutMs: 80 } }));
    let upstreamAbort: unknown;
    manager.steps.push((signal) => {
      signal.addEventListener('abort', () => (upstreamAbort = signal.reason));
      return chunks([{ type: 'text-delta', text: 'x' }], { hangAfter: true })(signal);
    });
    const started = performance.now();
    const error = await collect(manager.streamResponse(request, ctx())).catch((e) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error.partialText).toBe('x');
    expect(error.cause).toBeInstanceOf(TimeoutError);
    expect(error.cause.message).toMatch(/idle after 80 ms/);
    // The idle timeout is what ended it: the upstream attempt was aborted with that very TimeoutError.
    expect(upstreamAbort).toBe(error.cause);
    expect(performance.now() - started).toBeGreaterThanOrEqual(72);
  });

  it('time the consumer spends with a delta is not upstream idleness', async () => {
    const manager = new ScriptedManager(makeManagerDeps({ resilience: { idleChunkTimeoutMs: 60, firstChunkTimeoutMs: 60 } }));
    // The upstream is instant, so the consumer's time is the only silence the idle clock could see.
    manager.steps.push(chunks([{ type: 'text-delta', text: 'a' }, { type: 'text-delta', text: 'b' }, finish]));
    const seen: string[] = [];
    for await (const part of manager.streamResponse(request, ctx())) {
      seen.push(part.type);
      // A slow consumer (a gateway writing to a slow client) holds each delta longer than the idle timeout.
      if (part.type === 'text-delta') await new Promise((r) => setTimeout(r, 150));
    }
    expect(seen).toEqual(['text-delta', 'text-delta', 'finish']);
  });

  it('a stream with no first chunk times out with TimeoutError', async () => {
    const manager = new ScriptedManager(makeManagerDeps({ resilience: { firstChunkTimeoutMs: 50 } }));
    manager.steps.push(chunks([], { hangAfter: true }));
    await expect(collect(manager.streamResponse(request, ctx()))).rejects.toBeInstanceOf(TimeoutError);
  });

  it('leaving the loop early aborts the upstream attempt', async () => {
    const manager = new ScriptedManager(makeManagerDeps());
    let aborted = false;
    manager.steps.push((signal) =>
      (async function* () {
        signal.addEventListener('abort', () => (aborted = true));
        yield { type: 'text-delta', text: 'a' } as ProviderStreamPart;
        await hang(signal);
      })(),
    );
    for await (const part of manager.streamResponse(request, ctx())) {
      expect(part.type).toBe('text-delta');
      break;
    }
    expect(aborted).toBe(true);
  });

  it('maps unknown failures to ProviderError without leaking secrets', async () => {
    const manager = new ScriptedManager(makeManagerDeps());
    manager.steps.push(async () => {
      throw new Error('bad thing with Bearer sk-live-1234567890abcdef');
    });
    const error = await manager.generateResponse(request, ctx()).catch((e) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(JSON.stringify(error) + error.message + String(error.cause?.message)).not.toMatch(/1234567890abcdef/);
  });

  it('looks the model and the server address up once, not on every step of every call', async () => {
    class CountingManager extends ScriptedManager {
      lookups = 0;
      addresses = 0;
      override getModelInfo(modelId: string) {
        this.lookups++;
        return super.getModelInfo(modelId);
      }
      protected override serverAddress() {
        this.addresses++;
        return { address: 'example.test', port: 443 };
      }
    }
    const manager = new CountingManager(makeManagerDeps({ resilience: { maxRetries: 1 }, catalog: { 'scripted:m': { pricing: { inputPerMTok: 1, outputPerMTok: 1 } } } }));
    manager.steps.push(status(503), ok(), chunks([{ type: 'text-delta', text: 'x' }, finish]));
    const answer = await manager.generateResponse(request, ctx());
    expect(answer).toMatchObject({ attempts: 2 });
    expect(answer.costUsd).not.toBeNull();
    expect(manager.lookups).toBe(1);
    await collect(manager.streamResponse(request, ctx()));
    expect(manager.lookups).toBe(2);
    // The pipeline hands over what it already resolved.
    manager.steps.push(ok());
    const info = manager.getModelInfo('m');
    manager.lookups = 0;
    expect((await manager.generateResponse(request, { ...ctx(), modelInfo: info })).costUsd).not.toBeNull();
    expect(manager.lookups).toBe(0);
    expect(manager.addresses).toBe(1);
  });

  it('a caller abort or the deadline ends a call at once while its model is still loading', async () => {
    // The loads wait for a gate the test opens only after both calls have ended: ending "at once"
    // means not waiting for the load, whatever the machine's speed (a call that waited would never end).
    const loading = gate();
    class SlowLoading extends ScriptedManager {
      loadsStarted = 0;
      protected override async loadModel(modelId: string) {
        this.loadsStarted++;
        await loading.opened;
        return super.loadModel(modelId);
      }
    }
    const deps = makeManagerDeps({ resilience: { timeoutMs: 50 } });
    const manager = new SlowLoading(deps);
    manager.steps.push(ok(), ok());
    await expect(manager.generateResponse(request, ctx())).rejects.toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const streamed = collect(manager.streamResponse({ ...request, modelId: 'other' }, ctx(controller.signal)));
    expect(await until(() => manager.loadsStarted === 2)).toBe(true);
    controller.abort();
    await expect(streamed).rejects.toBeInstanceOf(AbortError);
    expect(manager.loads).toBe(0);
    // The loads finish in the background; the abandoned leases are given back, so eviction unloads them.
    loading.open();
    expect(await until(() => manager.loads === 2 && deps.modelCache.keys().length === 2)).toBe(true);
    expect(deps.modelCache.keys().sort()).toEqual(['scripted:m', 'scripted:other']);
    await deps.modelCache.clear();
    expect(manager.unloads).toBe(2);
    expect(manager.steps).toHaveLength(2);
  });

  it('counts only in-process weights against modelCache.maxMemoryBytes (a local server such as Ollama holds its own)', async () => {
    const deps = makeManagerDeps({ modelCache: { maxMemoryBytes: 1_000 }, catalog: { 'scripted:m': { local: true, memoryBytes: 5_000_000 } } });
    const manager = new ScriptedManager(deps);
    manager.steps.push(ok());
    await expect(manager.generateResponse(request, ctx())).resolves.toMatchObject({ text: 'hello' });
    expect(deps.modelCache.calculatedBytes).toBeLessThanOrEqual(1_000);
  });
});
