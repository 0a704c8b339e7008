/**
 * `switchboard models` with YAML configs, `--save`, and bots chosen by capability, run in-process as
 * tests/integration/cli.test.ts runs the CLI: `models --refresh --save catalog.yaml`, then a config
 * pointing `models` at that file, gives the same `models --json` output.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliOutput } from '../../src/cli/cli-io.js';
import { FakeProvider } from '../../src/testing/index.js';

function collector(): CliOutput & { text(): string } {
  const writes: string[] = [];
  return { write: (text: string) => writes.push(text), text: () => writes.join('') };
}

const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-catalog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'sk-cli-catalog-secret-0123456789abcdef';

/**
 * A YAML config: an inline catalog, a bot chosen by capability, a credential from the environment (a
 * gateway key: no hosted provider is made ready, so `--refresh` asks no real provider).
 */
function yamlConfig(models: string): string {
  return `# the app's config, in YAML
server:
  apiKeys:
    - key: \${GATEWAY_KEY}
      tenant: acme
models: ${models}
bots:
  seer:
    model:
      capabilities: [vision]
    system: You describe pictures.
`;
}

const INLINE_CATALOG = `
  fake:priced:
    contextWindow: 8192
    capabilities: { vision: true, tools: true }
    pricing: { inputPerMTok: 1, outputPerMTok: 2 }
  fake:old:
    contextWindow: 4096
    deprecated: { since: "2025-01-01", replacement: fake:priced }
  fake:pricier:
    capabilities: { vision: true }
    pricing: { inputPerMTok: 3, outputPerMTok: 3 }`;

async function run(argv: string[], fake: FakeProvider = new FakeProvider()) {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { stdout, stderr, env: { GATEWAY_KEY: SECRET }, cwd: dir, switchboard: { managers: [fake] } });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('switchboard models --save', () => {
  it('--refresh --save catalog.yaml, then a config pointing at it, gives the same models --json output', async () => {
    writeFileSync(join(dir, 'app.yaml'), yamlConfig(INLINE_CATALOG));
    const discovering = new FakeProvider().setPricing('discovered', { inputPerMTok: 0.5, outputPerMTok: 0.5 });
    const first = await run(['models', '--config', 'app.yaml', '--refresh', '--save', 'catalog.yaml', '--json'], discovering);
    expect(first.stderr).toContain('saved 4 models to catalog.yaml\n');
    expect(first.code).toBe(0);
    const listed = JSON.parse(first.stdout) as { models: Array<{ id: string }>; bots: unknown[] };
    expect(listed.models.map((model) => model.id)).toEqual(['fake:discovered', 'fake:old', 'fake:priced', 'fake:pricier']);
    expect(listed.bots).toEqual([{ bot: 'seer', model: 'fake:priced', fallbacks: ['fake:pricier'], modelChoice: { capabilities: ['vision'] } }]);

    const saved = readFileSync(join(dir, 'catalog.yaml'), 'utf8');
    expect(saved).toMatch(/^# Written by llm-switchboard/);
    expect(saved).not.toContain(SECRET.slice(0, 12));
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    writeFileSync(join(dir, 'reviewed.yaml'), yamlConfig('catalog.yaml'));
    // A fresh provider that discovers nothing: every fact now comes from the saved file.
    const second = await run(['models', '--config', 'reviewed.yaml', '--json']);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  it('saves JSON by extension too, and refuses any other extension by name', async () => {
    writeFileSync(join(dir, 'plain.yaml'), yamlConfig(INLINE_CATALOG));
    const json = await run(['models', '--config', 'plain.yaml', '--save', 'catalog.json']);
    expect(json.code).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as object)).toEqual(['_comment', 'fake:old', 'fake:priced', 'fake:pricier']);

    const refused = await run(['models', '--config', 'plain.yaml', '--save', 'catalog.toml']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/InvalidRequestError: saveCatalog writes JSON or YAML by the file's extension: "\.toml" is neither/);
    expect(readdirSync(dir)).not.toContain('catalog.toml');
  });
});

describe('switchboard models with bots chosen by capability', () => {
  it('shows what each such bot resolved to', async () => {
    writeFileSync(join(dir, 'bots.yaml'), yamlConfig(INLINE_CATALOG));
    const { code, stdout } = await run(['models', '--config', 'bots.yaml']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^BOT\s+CHOSE\s+FALLBACKS\s+BY$/m);
    expect(stdout).toMatch(/^seer\s+fake:priced\s+fake:pricier\s+the capabilities vision$/m);
  });

  it('a YAML config with a mistake fails with the key path and its line', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'bots:\n  seer:\n    model:\n      capabilities: [sight]\n');
    const { code, stderr } = await run(['models', '--config', 'broken.yaml']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/ConfigError[\s\S]*bots\.seer\.model\.capabilities\[0\]: unknown capability.*\(broken\.yaml line 4\)/);
  });
});
