/**
 * The GGUF files in `providers.llamacpp.modelsDir` are listed from start-up (API.md "Registry"): by
 * `registry.listModels()` and `GET /v1/models` on the first call, from a directory scan that loads no
 * model. A missing directory or an absent node-llama-cpp never fails start-up; without node-llama-cpp
 * the files are listed by name and size, without the header's facts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { silentLogger } from '../../src/core/logger.js';
import { LlamaCppManager } from '../../src/managers/llamacpp/llamacpp-manager.js';
import type { NodeLlamaCpp } from '../../src/managers/llamacpp/node-llama-cpp-loader.js';
import { startGateway } from '../../src/server/index.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

const quiet = { telemetry: { logLevel: 'silent' as const } };

describe('llamacpp models are listed from start-up', () => {
  let dir: string;
  let bytes: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchboard-startup-gguf-'));
    bytes = (await writeTinyGguf(join(dir, 'alpha.gguf'), { seed: 1, contextLength: 256 })).bytes;
    await writeTinyGguf(join(dir, 'beta.gguf'), { seed: 2, contextLength: 512 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('registry.listModels() lists every GGUF file with its header facts at once, and nothing is loaded', async () => {
    const sb = await createSwitchboard({ env: {}, config: { ...quiet, providers: { llamacpp: { modelsDir: dir, threads: 1 } } }, logger: silentLogger });
    try {
      const local = sb.registry.listModels({ provider: 'llamacpp' });
      expect(local.map((info) => info.id)).toEqual(['llamacpp:alpha', 'llamacpp:beta']);
      expect(local[0]).toMatchObject({ model: 'alpha', local: true, memoryBytes: bytes, contextWindow: 256 });
      expect(local[1]).toMatchObject({ contextWindow: 512 });
      expect(sb.registry.listModels({ local: true }).map((info) => info.id)).toEqual(['llamacpp:alpha', 'llamacpp:beta']);
      expect(sb.modelCache.counters.loads).toBe(0);
      expect(sb.modelCache.size).toBe(0);
      expect(sb.stats().loadedModels).toEqual([]);
    } finally {
      await sb.close();
    }
  });

  it('GET /v1/models lists them on the first request, and GET /v1/models/{id} answers them', async () => {
    const gw = await startGateway({ env: {}, config: { ...quiet, providers: { llamacpp: { modelsDir: dir, threads: 1 } } }, host: '127.0.0.1', port: 0, logger: silentLogger });
    try {
      const client = new OpenAI({ apiKey: 'unused-on-loopback', baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const ids = (await client.models.list()).data.map((model) => model.id);
      expect(ids).toEqual(expect.arrayContaining(['llamacpp:alpha', 'llamacpp:beta']));
      const alpha = (await client.models.retrieve('llamacpp:alpha')) as unknown as { owned_by: string; x_switchboard: Record<string, unknown> };
      expect(alpha.owned_by).toBe('llamacpp');
      expect(alpha.x_switchboard).toMatchObject({ kind: 'model', local: true, context_window: 256 });
      await expect(client.models.retrieve('llamacpp:gamma')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      expect(gw.switchboard.modelCache.counters.loads).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('a missing models directory lists no local model and does not fail start-up', async () => {
    const sb = await createSwitchboard({ env: {}, config: { ...quiet, providers: { llamacpp: { modelsDir: join(dir, 'absent') } } }, logger: silentLogger });
    try {
      expect(sb.registry.listModels({ provider: 'llamacpp' })).toEqual([]);
    } finally {
      await sb.close();
    }
  });

  it('without node-llama-cpp, files are listed by name and size (no header facts) and start-up goes on', async () => {
    const absent = 'node-llama-cpp-not-installed';
    const manager = new LlamaCppManager(undefined, { modelsDir: dir, threads: 1, gpu: false, contextSize: 0 }, { importModule: () => import(absent) as Promise<NodeLlamaCpp> });
    const sb = await createSwitchboard({ env: {}, config: quiet, managers: [manager], logger: silentLogger });
    try {
      const local = sb.registry.listModels({ provider: 'llamacpp' });
      expect(local.map((info) => [info.id, info.memoryBytes, info.contextWindow])).toEqual([
        ['llamacpp:alpha', bytes, undefined],
        ['llamacpp:beta', bytes, undefined],
      ]);
      expect(sb.registry.listProviders().find((status) => status.name === 'llamacpp')).toMatchObject({ ready: false, reason: expect.stringContaining('npm install node-llama-cpp') });
    } finally {
      await sb.close();
    }
  });
});
