/**
 * `sb.registry.saveCatalog(path)`: the catalog plus what discovery found, JSON or YAML by extension,
 * catalog fields only, replaced atomically, and loadable back into the same listing.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { createSwitchboard } from '../../../src/create-switchboard.js';
import { loadCatalog } from '../../../src/config/index.js';
import { ConfigError, InvalidRequestError } from '../../../src/core/errors.js';
import type { ModelInfo } from '../../../src/core/types.js';
import { canonicalModelInfo, catalogEntryOf } from '../../../src/registry/catalog-file.js';
import { ModelCatalog } from '../../../src/registry/model-catalog.js';
import { ModelRegistry } from '../../../src/registry/model-registry.js';
import { FakeProvider } from '../../../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CATALOG = {
  _comment: 'comments are not models',
  'fake:priced': { contextWindow: 8192, maxOutputTokens: 1024, capabilities: { tools: true }, pricing: { inputPerMTok: 1, outputPerMTok: 2, cacheReadPerMTok: 0.1 } },
  'fake:old': { contextWindow: 4096, deprecated: { since: '2025-01-01', replacement: 'fake:priced' } },
  'fake:vectors': { kind: 'embedding', pricing: { inputPerMTok: 0.02, outputPerMTok: 0 } },
};

/** A switchboard whose fake provider discovers `found` (with a price) on refresh. */
async function switchboardWith(found: string[], secret = 'sk-test-secret-value-0123456789') {
  const fake = new FakeProvider({ models: found, pricing: Object.fromEntries(found.map((model) => [model, { inputPerMTok: 3, outputPerMTok: 4 }])) });
  return createSwitchboard({
    configFile: [],
    env: {},
    config: { models: CATALOG, providers: { openai: { apiKey: secret } }, telemetry: { logLevel: 'silent' } },
    managers: [fake],
  });
}

/** What the registry lists, as `switchboard models --json` prints it. */
function listing(models: ModelInfo[]): ModelInfo[] {
  return [...models].sort((a, b) => a.id.localeCompare(b.id)).map(canonicalModelInfo);
}

describe('registry.saveCatalog', () => {
  it.each(['catalog.json', 'catalog.yaml', 'catalog.YML'])('writes %s that loads back into the same listing', async (name) => {
    const sb = await switchboardWith(['discovered']);
    try {
      await sb.registry.refreshModels();
      const path = join(dir, name);
      await sb.registry.saveCatalog(path);
      const text = readFileSync(path, 'utf8');
      const parsed = (name.endsWith('.json') ? JSON.parse(text) : parse(text)) as Record<string, unknown>;
      // Sorted ids, the configured and the discovered models, embedding models too.
      expect(Object.keys(parsed).filter((key) => !key.startsWith('_'))).toEqual(['fake:discovered', 'fake:old', 'fake:priced', 'fake:vectors']);
      expect(parsed['fake:discovered']).toEqual({ capabilities: { streaming: true, tools: false, vision: false, json: false, reasoning: false }, pricing: { inputPerMTok: 3, outputPerMTok: 4 }, local: false });
      const reloaded = new ModelCatalog(await loadCatalog(path, dir));
      expect(listing(reloaded.list())).toEqual(listing(sb.registry.listModels({ includeDeprecated: true })));
    } finally {
      await sb.close();
    }
  });

  it('writes catalog fields only: no credential of the config reaches the file', async () => {
    const secret = 'sk-proj-do-not-write-me-0123456789abcdef';
    const sb = await switchboardWith([], secret);
    try {
      const path = join(dir, 'secretless.yaml');
      await sb.registry.saveCatalog(path);
      const text = readFileSync(path, 'utf8');
      expect(text).not.toContain(secret.slice(0, 12));
      expect(text).not.toMatch(/apiKey|baseURL|providers/);
    } finally {
      await sb.close();
    }
  });

  it('refuses an extension that is neither JSON nor YAML, naming it, and writes nothing', async () => {
    const sb = await switchboardWith([]);
    try {
      for (const [name, shown] of [['catalog.txt', '".txt"'], ['catalog', '"(none)"'], ['catalog.json5', '".json5"']]) {
        const error = await sb.registry.saveCatalog(join(dir, 'refused', name)).catch((e: unknown) => e);
        expect(InvalidRequestError.isInstance(error)).toBe(true);
        expect((error as Error).message).toContain(shown);
      }
      expect(existsSync(join(dir, 'refused'))).toBe(false);
    } finally {
      await sb.close();
    }
  });

  it('replaces a file atomically and leaves no temporary file, even when the write fails', async () => {
    const sb = await switchboardWith([]);
    const own = mkdtempSync(join(dir, 'atomic-'));
    try {
      const path = join(own, 'catalog.json');
      writeFileSync(path, '{"old": true}');
      await sb.registry.saveCatalog(path);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toHaveProperty(['fake:priced']);
      expect(readdirSync(own)).toEqual(['catalog.json']);
      const missing = await sb.registry.saveCatalog(join(own, 'no-such-dir', 'catalog.json')).catch((e: unknown) => e);
      expect(InvalidRequestError.isInstance(missing)).toBe(true);
      expect((missing as Error).message).toMatch(/Cannot save the catalog to .*ENOENT/);
      expect(readdirSync(own)).toEqual(['catalog.json']);
    } finally {
      await sb.close();
    }
  });

  it('does not write a catalog the loader would refuse (a discovered fact out of range)', async () => {
    const own = mkdtempSync(join(dir, 'refused-'));
    const path = join(own, 'catalog.yaml');
    const broken: ModelInfo = { id: 'fake:odd', provider: 'fake', model: 'odd', contextWindow: 10, maxOutputTokens: 20, capabilities: { streaming: true, tools: false, vision: false, json: false, reasoning: false }, local: false };
    const catalog = new ModelCatalog();
    catalog.addDiscovered(broken);
    const registry = new ModelRegistry(catalog, [new FakeProvider()]);
    const error = await registry.saveCatalog(path).catch((e: unknown) => e);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).problems[0]!.key).toBe('models["fake:odd"].maxOutputTokens');
    expect(readdirSync(own)).toEqual([]);
  });
});

describe('catalogEntryOf and canonicalModelInfo', () => {
  it('keep ModelInfo fields only, in one order, whatever order built the object', () => {
    const scrambled = { local: true, model: 'm', capabilities: { json: true, vision: false, tools: true, streaming: true, reasoning: false }, provider: 'p', id: 'p:m', extra: 'dropped', memoryBytes: 5 } as ModelInfo;
    expect(JSON.stringify(canonicalModelInfo(scrambled))).toBe(
      JSON.stringify({ id: 'p:m', provider: 'p', model: 'm', capabilities: { streaming: true, tools: true, vision: false, json: true, reasoning: false }, local: true, memoryBytes: 5 }),
    );
    expect(catalogEntryOf(scrambled)).toEqual({ capabilities: { streaming: true, tools: true, vision: false, json: true, reasoning: false }, local: true, memoryBytes: 5 });
  });
});
