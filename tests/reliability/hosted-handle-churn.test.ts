/**
 * RELIABILITY.md row "hosted-model handles churn (50 hosted models) -> a loaded local model is not
 * evicted by them". A real tiny GGUF is loaded through llama.cpp, then calls go to 50 distinct hosted
 * models (the openai SDK against the fake OpenAI server) through a ModelCache of 4: the hosted
 * handles churn through their own pool, and the local model stays loaded (the same instance, never
 * disposed, no second load). Before the pools were split, the fifth hosted model evicted it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { silentLogger } from '../../src/core/logger.js';
import type { LoadedGguf } from '../../src/managers/llamacpp/llama-chat-run.js';
import type { LlamaCppManager } from '../../src/managers/llamacpp/llamacpp-manager.js';
import type { Switchboard } from '../../src/switchboard.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

const HOSTED_MODELS = 50;
const CACHE_MAX = 4;

describe('reliability: hosted-model handles churn', () => {
  let dir: string;
  let upstream: FakeOpenAIServer;
  let sb: Switchboard;
  const loadsFinished: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-churn-gguf-'));
    await writeTinyGguf(join(dir, 'tiny.gguf'), { seed: 5 });
    upstream = await FakeOpenAIServer.start();
    sb = await createSwitchboard({
      env: {},
      config: {
        providers: { openai: { apiKey: 'sk-churn-test-8Wq3Lx6Vm1Tz', baseURL: upstream.baseURL }, llamacpp: { modelsDir: dir, threads: 1, contextSize: 128 } },
        modelCache: { max: CACHE_MAX },
        resilience: { maxRetries: 0 },
        telemetry: { logLevel: 'silent' },
      },
      onModelLoadProgress: (modelId, progress) => {
        if (progress === 1) loadsFinished.push(modelId);
      },
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await sb?.close();
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`hosted-model handles churn (${HOSTED_MODELS} hosted models) -> a loaded local model is not evicted by them`, async () => {
    const llama = sb.registry.getManager('llamacpp') as LlamaCppManager;
    await sb.chat({ model: 'llamacpp:tiny', messages: [{ role: 'user', content: 'hi' }], params: { maxTokens: 2 } });
    const loaded: LoadedGguf = await llama.getModel('tiny');
    const before = { ...sb.modelCache.counters };

    for (let i = 0; i < HOSTED_MODELS; i++) {
      const answer = await sb.chat({ model: `openai:hosted-${i}`, messages: [{ role: 'user', content: `call ${i}` }] });
      expect(answer.text).toBe(`echo: call ${i}`);
      // Never more handles than the bound, and the local model stays put after every call.
      expect(sb.modelCache.keys('hosted').length).toBeLessThanOrEqual(CACHE_MAX);
      expect(sb.modelCache.keys('local')).toEqual(['llamacpp:tiny']);
    }
    await sb.modelCache.settle();

    expect(upstream.requestCount).toBe(HOSTED_MODELS);
    // The hosted handles churned through their own pool: every one beyond the bound was evicted once.
    const churned = { loads: sb.modelCache.counters.loads - before.loads, evictions: sb.modelCache.counters.evictions - before.evictions };
    expect(churned).toEqual({ loads: HOSTED_MODELS, evictions: HOSTED_MODELS - CACHE_MAX });
    expect(sb.modelCache.counters.unloads).toBe(sb.modelCache.counters.evictions);

    // The local model was never unloaded: the same instance answers, and it was loaded exactly once.
    expect(sb.modelCache.has('llamacpp:tiny')).toBe(true);
    expect(loaded.model.disposed).toBe(false);
    await sb.chat({ model: 'llamacpp:tiny', messages: [{ role: 'user', content: 'again' }], params: { maxTokens: 2 } });
    expect(await llama.getModel('tiny')).toBe(loaded);
    expect(loadsFinished).toEqual(['tiny']);
    expect(sb.stats().loadedModels).toContain('llamacpp:tiny');
    console.log(
      `hosted handle churn: ${HOSTED_MODELS} hosted models through a cache of ${CACHE_MAX}: ${churned.loads} handle loads, ` +
        `${churned.evictions} handle evictions; local model loads ${loadsFinished.length}, still loaded: ${sb.modelCache.has('llamacpp:tiny')}`,
    );
  });
});
