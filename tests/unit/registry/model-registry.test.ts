import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Container } from 'inversify';
import { InvalidRequestError, NoSuchProviderError } from '../../../src/core/errors.js';
import type { ProviderResult } from '../../../src/core/types.js';
import { TYPES } from '../../../src/di/identifiers.js';
import { BaseLLMManager, type ManagerDeps } from '../../../src/managers/base-llm-manager.js';
import { ModelCatalog } from '../../../src/registry/model-catalog.js';
import { ModelRegistry } from '../../../src/registry/model-registry.js';
import { makeManagerDeps } from '../../helpers/manager-deps.js';

class NamedManager extends BaseLLMManager<string> {
  constructor(readonly provider: string, deps?: ManagerDeps, private readonly reason?: string) {
    super(deps);
  }
  protected override notReadyReason() {
    return this.reason;
  }
  protected async loadModel(id: string) {
    return id;
  }
  protected async doGenerate(): Promise<ProviderResult> {
    return { text: 'x', finishReason: 'stop' };
  }
}

const catalogEntries = {
  _notice: { contextWindow: 1 },
  'alpha:big': { contextWindow: 128000, capabilities: { tools: true, vision: true }, pricing: { inputPerMTok: 1, outputPerMTok: 2 } },
  'alpha:old': { contextWindow: 4096, deprecated: { since: '2025-01-01', replacement: 'alpha:big' } },
  'beta:local': { local: true, memoryBytes: 1000 },
};

describe('ModelRegistry', () => {
  it('collects every manager bound in the container with @multiInject', () => {
    const container = new Container();
    const deps = makeManagerDeps();
    container.bind(TYPES.ModelCatalog).toConstantValue(new ModelCatalog(catalogEntries));
    container.bind(TYPES.LLMManager).toConstantValue(new NamedManager('alpha', deps));
    container.bind(TYPES.LLMManager).toConstantValue(new NamedManager('beta', deps, 'set BETA_KEY'));
    container.bind(TYPES.ModelRegistry).to(ModelRegistry).inSingletonScope();
    const registry = container.get<ModelRegistry>(TYPES.ModelRegistry);
    expect(registry.listProviders()).toEqual([
      { name: 'alpha', ready: true },
      { name: 'beta', ready: false, reason: 'set BETA_KEY' },
    ]);
    expect(registry.getManager('alpha').provider).toBe('alpha');
  });

  it('resolves provider:model and names what is wrong otherwise', () => {
    const registry = new ModelRegistry(new ModelCatalog(catalogEntries), [new NamedManager('alpha', makeManagerDeps())]);
    expect(registry.resolve('alpha:some:tag')).toMatchObject({ provider: 'alpha', model: 'some:tag' });
    expect(() => registry.resolve('nope:x')).toThrow(NoSuchProviderError);
    expect(() => registry.resolve('nope:x')).toThrow(/known providers: alpha/);
    expect(() => registry.resolve('no-colon')).toThrow(InvalidRequestError);
    expect(() => registry.getModelInfo('zeta:x')).toThrow(NoSuchProviderError);
  });

  it('returns catalog facts, and a minimal unpriced entry for unlisted hosted models', () => {
    const deps = makeManagerDeps({ catalog: catalogEntries });
    const registry = new ModelRegistry(deps.catalog, [new NamedManager('alpha', deps)]);
    expect(registry.getModelInfo('alpha:big')).toMatchObject({ contextWindow: 128000, pricing: { inputPerMTok: 1 }, capabilities: { tools: true, streaming: true } });
    const unknown = registry.getModelInfo('alpha:brand-new');
    expect(unknown).toMatchObject({ id: 'alpha:brand-new', provider: 'alpha', model: 'brand-new', local: false });
    expect(unknown.pricing).toBeUndefined();
  });

  it('filters models by provider, capability, locality and deprecation', () => {
    const catalog = new ModelCatalog(catalogEntries);
    const registry = new ModelRegistry(catalog, []);
    expect(registry.listModels().map((m) => m.id).sort()).toEqual(['alpha:big', 'beta:local']);
    expect(registry.listModels({ includeDeprecated: true }).map((m) => m.id)).toContain('alpha:old');
    expect(registry.listModels({ capability: 'vision' }).map((m) => m.id)).toEqual(['alpha:big']);
    expect(registry.listModels({ local: true }).map((m) => m.id)).toEqual(['beta:local']);
    expect(registry.listModels({ provider: 'alpha', includeDeprecated: true })).toHaveLength(2);
  });

  it('registers a custom provider at run time and attaches the shared deps', async () => {
    const deps = makeManagerDeps();
    const registry = new ModelRegistry(deps.catalog, []);
    registry.setDefaultDeps(deps);
    const custom = new NamedManager('custom');
    expect(custom.isAttached).toBe(false);
    registry.register(custom);
    expect(custom.isAttached).toBe(true);
    const result = await registry.resolve('custom:m').manager.generateResponse(
      { modelId: 'm', messages: [{ role: 'user', content: 'q' }], params: {}, operation: 'chat' },
      { signal: new AbortController().signal },
    );
    expect(result).toMatchObject({ text: 'x', model: 'custom:m', costUsd: null, usageReported: false });
    expect(() => registry.register(new NamedManager('bad name'))).toThrow(InvalidRequestError);
  });

  it('merges discovered models without overriding configured facts', async () => {
    const deps = makeManagerDeps({ catalog: catalogEntries });
    class Discovering extends NamedManager {
      override async listModels() {
        return [
          { id: 'alpha:big', provider: 'alpha', model: 'big', contextWindow: 1, capabilities: { streaming: true, tools: false, vision: false, json: true, reasoning: false }, local: false },
          { id: 'alpha:found', provider: 'alpha', model: 'found', capabilities: { streaming: true, tools: false, vision: false, json: false, reasoning: false }, local: false },
        ];
      }
    }
    const registry = new ModelRegistry(deps.catalog, [new Discovering('alpha', deps)]);
    const { models, failures } = await registry.refreshModels();
    expect(failures).toEqual([]);
    expect(models.map((m) => m.id)).toContain('alpha:found');
    expect(registry.getModelInfo('alpha:big').contextWindow).toBe(128000);
    expect(registry.getModelInfo('alpha:big').capabilities.json).toBe(true);
  });

  it('listedModel answers only what the catalog or discovery lists, for registered providers', () => {
    const deps = makeManagerDeps({ catalog: catalogEntries });
    const registry = new ModelRegistry(deps.catalog, [new NamedManager('alpha', deps)]);
    expect(registry.listedModel('alpha:big')).toMatchObject({ id: 'alpha:big', contextWindow: 128000 });
    expect(registry.listedModel('alpha:old')).toMatchObject({ deprecated: { replacement: 'alpha:big' } });
    // Callable on a hosted provider, but nobody listed it; beta is listed but has no manager.
    expect(registry.getModelInfo('alpha:brand-new').id).toBe('alpha:brand-new');
    expect(registry.listedModel('alpha:brand-new')).toBeUndefined();
    expect(registry.listedModel('beta:local')).toBeUndefined();
    expect(registry.listedModel('no-colon')).toBeUndefined();
  });

  it('scanLocalModels asks only in-process managers, ready or not, and returns failures instead of throwing', async () => {
    const deps = makeManagerDeps();
    const asked: string[] = [];
    class Local extends NamedManager {
      override readonly inProcess = true;
      override async listModels() {
        asked.push(this.provider);
        if (this.provider === 'broken') throw new Error('directory not readable');
        return [{ id: `${this.provider}:file`, provider: this.provider, model: 'file', capabilities: { streaming: true, tools: false, vision: false, json: false, reasoning: false }, local: true, memoryBytes: 10 }];
      }
    }
    class Hosted extends NamedManager {
      override async listModels() {
        asked.push(this.provider);
        return [];
      }
    }
    const registry = new ModelRegistry(deps.catalog, [new Local('disk', deps, 'engine not installed'), new Local('broken', deps), new Hosted('remote', deps)]);
    expect(await registry.scanLocalModels()).toEqual([{ provider: 'broken', message: 'directory not readable' }]);
    expect(asked.sort()).toEqual(['broken', 'disk']);
    expect(registry.listModels({ local: true }).map((m) => m.id)).toEqual(['disk:file']);
  });
});
