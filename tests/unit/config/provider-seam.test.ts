/**
 * The provider seam stays clean (docs/adding-a-provider.md): src/config and src/core name no
 * provider, not even in a comment or an example, so that everything they know about providers comes
 * from the definitions (src/managers/builtin-providers.ts). A match here is knowledge that belongs
 * in a provider's folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { BUILTIN_PROVIDER_DEFINITIONS } from '../../../src/managers/builtin-providers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLEAN_FOLDERS = ['src/config', 'src/core'];

/** Every provider name: the built-in ids, and the names the issue listed (the SDK families included). */
const NAMES = [...new Set([...BUILTIN_PROVIDER_DEFINITIONS.map((definition) => definition.id), 'openai', 'anthropic', 'ollama', 'huggingface', 'llamacpp'])];
const PATTERN = new RegExp(NAMES.map((name) => name.replace(/[^A-Za-z0-9]/g, '')).join('|'), 'i');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the provider seam', () => {
  it.each(CLEAN_FOLDERS)('%s names no provider', (folder) => {
    const files = sourceFiles(join(ROOT, folder));
    expect(files.length).toBeGreaterThan(0);
    const matches = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (PATTERN.test(line) ? [`${relative(ROOT, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(matches).toEqual([]);
  });
});
