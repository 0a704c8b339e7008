import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../src/core/errors.js';
import { loadCatalog } from '../../../src/config/index.js';
import { ModelCatalog } from '../../../src/registry/model-catalog.js';
import { TempConfigDir } from './temp-files.js';

const temp = new TempConfigDir();
afterAll(() => temp.cleanup());

const GOOD = {
  _comment: 'prices in USD per million tokens',
  'openai:gpt-4o-mini': {
    contextWindow: 128000,
    maxOutputTokens: 16384,
    capabilities: { streaming: true, tools: true, vision: true, json: true },
    pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6, cacheReadPerMTok: 0.075 },
  },
  'anthropic:claude-3-haiku-20240307': {
    contextWindow: 200000,
    pricing: { inputPerMTok: 0.25, outputPerMTok: 1.25 },
    deprecated: { since: '2025-01-01', replacement: 'anthropic:claude-3-5-haiku-latest' },
    _note: 'comments inside entries are dropped too',
  },
  'llamacpp:tiny': { local: true, memoryBytes: 524288, contextWindow: 256 },
  'ollama:llama3:8b': { contextWindow: 8192 },
};

async function catalogError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadCatalog', () => {
  it('reads a catalog file relative to cwd, without comment keys, ready for ModelCatalog', async () => {
    const cwd = await temp.create({ 'config/models.json': GOOD });
    const catalog = await loadCatalog('config/models.json', cwd);
    expect(Object.keys(catalog)).toEqual(['openai:gpt-4o-mini', 'anthropic:claude-3-haiku-20240307', 'llamacpp:tiny', 'ollama:llama3:8b']);
    expect(catalog['anthropic:claude-3-haiku-20240307']).toEqual({
      contextWindow: 200000,
      pricing: { inputPerMTok: 0.25, outputPerMTok: 1.25 },
      deprecated: { since: '2025-01-01', replacement: 'anthropic:claude-3-5-haiku-latest' },
    });
    const info = new ModelCatalog(catalog).get('ollama:llama3:8b');
    expect(info).toMatchObject({ provider: 'ollama', model: 'llama3:8b', contextWindow: 8192 });
  });

  it("loads the project's config/models.json, whose entries all pass the checks", async () => {
    const catalog = await loadCatalog('config/models.json', process.cwd());
    expect(Object.keys(catalog).length).toBeGreaterThan(10);
    expect(Object.keys(catalog).every((id) => !id.startsWith('_'))).toBe(true);
    expect(catalog['openai:gpt-4o-mini']!.pricing).toMatchObject({ inputPerMTok: expect.any(Number), outputPerMTok: expect.any(Number) });
  });

  it('takes a catalog object as well', async () => {
    const catalog = await loadCatalog({ 'vllm:llama': { contextWindow: 4096 } });
    expect(catalog).toEqual({ 'vllm:llama': { contextWindow: 4096 } });
  });

  it('reports every bad entry and field at once, with paths like models["openai:gpt-4o"].pricing.inputPerMTok', async () => {
    const error = await catalogError(
      loadCatalog({
        'openai:gpt-4o': { pricing: { inputPerMTok: -2.5, outputPerMTok: 10 }, contextWindow: 0 },
        'anthropic:claude': { pricing: { inputPerMTok: 3 }, capabilities: { streaming: 'yes', telepathy: true } },
        'no-provider': {},
        'openai:o1': { maxOutputTokens: 200000, contextWindow: 128000, local: 'no', memoryBytes: -1 },
        'openai:gpt-x': { pricng: {}, deprecated: { since: 2024 } },
        'openai:gpt-y': 'cheap',
      }),
    );
    expect(error.problems.map((p) => p.key)).toEqual([
      'models["openai:gpt-4o"].pricing.inputPerMTok',
      'models["openai:gpt-4o"].contextWindow',
      'models["anthropic:claude"].pricing.outputPerMTok',
      'models["anthropic:claude"].capabilities.streaming',
      'models["anthropic:claude"].capabilities.telepathy',
      'models.no-provider',
      'models["openai:o1"].local',
      'models["openai:o1"].memoryBytes',
      'models["openai:o1"].maxOutputTokens',
      'models["openai:gpt-x"].pricng',
      'models["openai:gpt-x"].deprecated.since',
      'models["openai:gpt-y"]',
    ]);
    expect(error.problems.find((p) => p.key === 'models["openai:gpt-x"].pricng')!.message).toContain('did you mean "pricing"');
  });

  it('names a missing or unparseable catalog file', async () => {
    const cwd = await temp.create({ 'bad.json': '{ "openai:gpt-4o": { "contextWindow": 1, } }' });
    const missing = await catalogError(loadCatalog('config/none.json', cwd));
    expect(missing.problems).toEqual([{ key: 'models', message: expect.stringContaining('"config/none.json" not found') }]);
    const broken = await catalogError(loadCatalog('bad.json', cwd));
    expect(broken.problems[0]).toEqual({ key: 'models', message: expect.stringContaining('"bad.json" is not valid JSON') });
  });

  it('refuses prototype keys in a catalog file without polluting anything', async () => {
    const cwd = await temp.create({ 'm.json': '{"__proto__": {"polluted": 1}, "openai:a": {"pricing": {"constructor": {"prototype": {"polluted": 1}}, "inputPerMTok": 1, "outputPerMTok": 1}}}' });
    const error = await catalogError(loadCatalog('m.json', cwd));
    expect(error.problems.map((p) => p.key)).toEqual(['models.__proto__', 'models["openai:a"].pricing.constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses functions in a catalog object', async () => {
    const error = await catalogError(loadCatalog({ 'openai:a': { contextWindow: (() => 5) as unknown as number } }));
    expect(error.problems.map((p) => p.key)).toEqual(['models["openai:a"].contextWindow']);
  });
});
