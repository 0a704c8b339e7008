import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/core/errors.js';
import { loadCatalog } from '../../../src/config/load-catalog.js';

describe('loadCatalog outside the project directory', () => {
  it('falls back to the bundled catalog for the default path, but not for a path the user named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    try {
      const catalog = await loadCatalog('config/models.json', dir);
      expect(catalog['openai:gpt-4o-mini']?.pricing?.inputPerMTok).toBeGreaterThan(0);
      await expect(loadCatalog('config/my-models.json', dir)).rejects.toBeInstanceOf(ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
