/**
 * LlamaCppManager's models: GGUF discovery and ModelInfo from the file header, loading and
 * unloading through the ModelCache (byte-bounded eviction disposes exactly the evicted models),
 * missing files, the thread default, and a clear error when node-llama-cpp is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaCppProviderConfig } from '../../src/managers/llamacpp/llamacpp-config.js';
import { InvalidRequestError, NoSuchModelError, ProviderError } from '../../src/core/errors.js';
import type { ProviderRequest } from '../../src/core/types.js';
import type { LoadedGguf } from '../../src/managers/llamacpp/llama-chat-run.js';
import { LlamaCppManager } from '../../src/managers/llamacpp/llamacpp-manager.js';
import type { NodeLlamaCpp } from '../../src/managers/llamacpp/node-llama-cpp-loader.js';
import { makeManagerDeps } from '../helpers/manager-deps.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

const NAMES = ['alpha', 'beta', 'gamma'];

function request(modelId: string): ProviderRequest {
  return { modelId, operation: 'chat', params: { maxTokens: 2, temperature: 0 }, messages: [{ role: 'user', content: 'Hi' }] };
}

describe('LlamaCppManager models', () => {
  let dir: string;
  let fileBytes: number;
  const managers: LlamaCppManager[] = [];
  const context = () => ({ signal: new AbortController().signal });
  const config = (overrides: Partial<LlamaCppProviderConfig> = {}): LlamaCppProviderConfig => ({ modelsDir: dir, threads: 1, gpu: false, contextSize: 128, ...overrides });
  const track = (manager: LlamaCppManager) => {
    managers.push(manager);
    return manager;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-gguf-'));
    const written = await Promise.all(NAMES.map((name, index) => writeTinyGguf(join(dir, `${name}.gguf`), { seed: index + 1, contextLength: 256 + index * 256 })));
    fileBytes = written[0].bytes;
  });

  afterAll(async () => {
    for (const manager of managers) await manager.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('discovers the GGUF files with context length and size from the files themselves', async () => {
    const manager = track(new LlamaCppManager(makeManagerDeps(), config({ pricing: { beta: { inputPerMTok: 1, outputPerMTok: 2 } } })));
    const models = await manager.listModels();
    expect(models.map((model) => model.id)).toEqual(['llamacpp:alpha', 'llamacpp:beta', 'llamacpp:gamma']);
    expect(models[0]).toEqual({ id: 'llamacpp:alpha', provider: 'llamacpp', model: 'alpha', contextWindow: 256, memoryBytes: fileBytes, local: true, capabilities: { streaming: true, tools: true, vision: false, json: true, reasoning: false } });
    expect(models[1].contextWindow).toBe(512);
    expect(models[1].pricing).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
    expect(models[2].pricing).toBeUndefined();
    const described = await manager.describeModel('gamma');
    expect(described).toEqual({ name: 'gamma', path: join(dir, 'gamma.gguf'), bytes: fileBytes, architecture: 'llama', contextLength: 768 });
    expect(manager.getModelInfo('gamma')).toMatchObject({ local: true, memoryBytes: fileBytes, contextWindow: 768 });
  });

  it('prices from config and leaves unpriced models at cost null', async () => {
    const manager = track(new LlamaCppManager(makeManagerDeps(), config({ pricing: { beta: { inputPerMTok: 1, outputPerMTok: 2 } } })));
    const priced = await manager.generateResponse(request('beta'), context());
    expect(priced.costUsd).toBeCloseTo((priced.usage.inputTokens * 1 + priced.usage.outputTokens * 2) / 1e6, 12);
    const unpriced = await manager.generateResponse(request('alpha'), context());
    expect(unpriced.costUsd).toBeNull();
  });

  it('loads once through the ModelCache, reports progress, and unloads on eviction', async () => {
    const progress: Array<[string, number]> = [];
    const deps = makeManagerDeps();
    const manager = track(new LlamaCppManager(deps, config(), { onLoadProgress: (modelId, value) => progress.push([modelId, value]) }));
    await manager.generateResponse(request('alpha'), context());
    await manager.generateResponse(request('alpha'), context());
    expect(deps.modelCache.counters.loads).toBe(1);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every(([modelId, value]) => modelId === 'alpha' && value >= 0 && value <= 1)).toBe(true);
    expect(progress.at(-1)?.[1]).toBe(1);
    const loaded = await manager.getModel('alpha');
    expect(loaded.context.contextSize).toBe(128);
    expect(await deps.modelCache.evict('llamacpp:alpha')).toBe(true);
    expect(deps.modelCache.counters.unloads).toBe(1);
    expect(loaded.model.disposed).toBe(true);
    expect(loaded.context.disposed).toBe(true);
  });

  it('stops at a stop sequence and reports which one ended the answer', async () => {
    const manager = track(new LlamaCppManager(makeManagerDeps(), config()));
    const greedy = (stop?: string[]): ProviderRequest => ({ ...request('alpha'), params: { maxTokens: 12, temperature: 0, ...(stop ? { stop } : {}) } });
    // Greedy decoding is deterministic: the free answer shows which text a stop sequence will meet.
    const free = await manager.generateResponse(greedy(), context());
    expect(free.text.length).toBeGreaterThanOrEqual(4);
    const sequence = free.text.slice(2, 4);
    const stopped = await manager.generateResponse(greedy(['never-in-this-text', sequence]), context());
    expect(stopped.stopSequence).toBe(sequence);
    expect(stopped.finishReason).toBe('stop');
    expect(free.text.startsWith(stopped.text)).toBe(true);
    expect(stopped.text.length).toBeLessThan(free.text.length);
  });

  it('keeps within the byte bound: only one model fits, and every eviction disposes exactly one model', async () => {
    const bound = Math.floor(fileBytes * 1.5);
    const deps = makeManagerDeps({ modelCache: { maxMemoryBytes: bound } });
    const manager = track(new LlamaCppManager(deps, config()));
    const handles = new Set<LoadedGguf>();
    for (const name of ['alpha', 'beta', 'gamma', 'alpha', 'beta']) {
      const result = await manager.generateResponse(request(name), context());
      expect(result.usage.outputTokens).toBe(2);
      handles.add(await manager.getModel(name));
      expect(deps.modelCache.calculatedBytes).toBeLessThanOrEqual(bound);
      expect(deps.modelCache.keys()).toEqual([`llamacpp:${name}`]);
    }
    await deps.modelCache.settle();
    const disposed = [...handles].filter((handle) => handle.model.disposed).length;
    expect(deps.modelCache.counters.loads).toBe(5);
    expect(deps.modelCache.counters.evictions).toBe(4);
    expect(disposed).toBe(deps.modelCache.counters.evictions);
    expect(deps.modelCache.counters.unloads).toBe(4);
  });

  it('answers NoSuchModelError naming the directory for a model without a file, and rejects paths', async () => {
    const manager = track(new LlamaCppManager(makeManagerDeps(), config()));
    const missing = await manager.generateResponse(request('delta'), context()).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NoSuchModelError);
    expect((missing as Error).message).toContain(join(dir, 'delta.gguf'));
    const traversal = await manager.generateResponse(request('../alpha'), context()).catch((error: unknown) => error);
    expect(traversal).toBeInstanceOf(InvalidRequestError);
    const noDir = track(new LlamaCppManager(makeManagerDeps(), config({ modelsDir: join(dir, 'absent') })));
    expect(await noDir.listModels()).toEqual([]);
    await expect(noDir.generateResponse(request('alpha'), context())).rejects.toBeInstanceOf(NoSuchModelError);
  });

  it('uses every available core by default and the configured count otherwise', async () => {
    const manager = track(new LlamaCppManager(makeManagerDeps(), config({ threads: 0 })));
    expect(manager.threads).toBe(availableParallelism());
    await manager.generateResponse(request('alpha'), context());
    expect((await manager.getModel('alpha')).context.idealThreads).toBe(availableParallelism());
    expect(new LlamaCppManager(makeManagerDeps(), config({ threads: 3 })).threads).toBe(3);
  });

  it('validates its config', () => {
    expect(new LlamaCppManager(makeManagerDeps(), config()).validateConfig()).toEqual({ ok: true, problems: [] });
    const bad = new LlamaCppManager(makeManagerDeps(), { modelsDir: '', threads: -1, gpu: false, contextSize: 1.5 });
    expect(bad.validateConfig().problems.map((problem) => problem.key)).toEqual(['providers.llamacpp.modelsDir', 'providers.llamacpp.threads', 'providers.llamacpp.contextSize']);
  });

  it('says to install node-llama-cpp when it is absent, in the error and in the status', async () => {
    const absent = 'node-llama-cpp-not-installed';
    const manager = new LlamaCppManager(makeManagerDeps(), config(), { importModule: () => import(absent) as Promise<NodeLlamaCpp> });
    expect(manager.status().ready).toBe(true);
    const failure = await manager.generateResponse(request('alpha'), context()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as Error).message).toContain('npm install node-llama-cpp');
    expect(manager.status()).toEqual({ name: 'llamacpp', ready: false, reason: expect.stringContaining('npm install node-llama-cpp') });
    expect(new LlamaCppManager(makeManagerDeps(), config()).status()).toEqual({ name: 'llamacpp', ready: true });
  });
});
