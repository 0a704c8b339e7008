/**
 * YAML config files and catalogs (docs/configuration.md "Files"): read like JSON ones, with the same
 * key paths in problems plus the line each key is written on, and the safe subset only (core schema,
 * no tags beyond it, no merge keys, unique keys, bounded aliases and nesting).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../src/core/errors.js';
import { loadCatalog, loadConfig } from '../../../src/config/index.js';
import { flowDepth } from '../../../src/config/yaml-file.js';
import { TempConfigDir } from './temp-files.js';

const temp = new TempConfigDir();
afterAll(() => temp.cleanup());

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ConfigError.isInstance(error)).toBe(true);
  return error as ConfigError;
}

const YAML_CONFIG = `# a comment
server:
  port: 9001
  host: 0.0.0.0
bots:
  support:
    model: openai:gpt-4o-mini
    fallbacks: [anthropic:claude-3-5-haiku-latest]
    params: { maxTokens: 256 }
    system: "You help ${'${CUSTOMER:-everyone}'}."
redirectDeprecated: true
`;

describe('YAML config files', () => {
  it('reads --config file.yaml and .yml exactly as the same JSON, ${ENV} included', async () => {
    const json = {
      server: { port: 9001, host: '0.0.0.0' },
      bots: { support: { model: 'openai:gpt-4o-mini', fallbacks: ['anthropic:claude-3-5-haiku-latest'], params: { maxTokens: 256 }, system: 'You help ${CUSTOMER:-everyone}.' } },
      redirectDeprecated: true,
    };
    const cwd = await temp.create({ 'app.yaml': YAML_CONFIG, 'app.yml': YAML_CONFIG, 'app.json': json });
    const env = { CUSTOMER: 'acme' };
    const fromJson = await loadConfig({ cwd, configFile: 'app.json', env });
    expect(await loadConfig({ cwd, configFile: 'app.yaml', env })).toEqual(fromJson);
    expect(await loadConfig({ cwd, configFile: 'app.yml', env })).toEqual(fromJson);
    expect(fromJson.bots.support!.system).toBe('You help acme.');
    expect(fromJson.redirectDeprecated).toBe(true);
  });

  it('reads SWITCHBOARD_CONFIG=*.yml, later files over earlier ones', async () => {
    const cwd = await temp.create({ 'base.json': { server: { port: 1000, host: '127.0.0.1' } }, 'site.yml': 'server:\n  port: 2000\n' });
    const config = await loadConfig({ cwd, env: { SWITCHBOARD_CONFIG: 'base.json,site.yml' } });
    expect(config.server).toMatchObject({ port: 2000, host: '127.0.0.1' });
  });

  it('finds config/default.yaml and config/<NODE_ENV>.yml where it looks for JSON', async () => {
    const cwd = await temp.create({ 'config/default.yaml': 'server:\n  port: 1111\n  host: 0.0.0.0\n', 'config/staging.yml': 'server:\n  port: 2222\n' });
    expect((await loadConfig({ cwd, env: {} })).server).toMatchObject({ port: 1111, host: '0.0.0.0' });
    expect((await loadConfig({ cwd, env: { NODE_ENV: 'staging' } })).server).toMatchObject({ port: 2222, host: '0.0.0.0' });
  });

  it('refuses to pick when config/default.json and config/default.yaml both exist, naming both', async () => {
    const cwd = await temp.create({ 'config/default.json': { server: { port: 1 } }, 'config/default.yaml': 'server:\n  port: 2\n', 'config/test.yml': '{}', 'config/test.yaml': '{}' });
    const error = await configError(loadConfig({ cwd, env: { NODE_ENV: 'test' } }));
    expect(error.problems).toEqual([
      { key: 'configFile', message: expect.stringMatching(/^"config\/default\.json" and "config\/default\.yaml" both exist; keep one/) },
      { key: 'configFile', message: expect.stringMatching(/^"config\/test\.yaml" and "config\/test\.yml" both exist/) },
    ]);
  });

  it('reports problems under the same key paths as JSON, with the line each key is on', async () => {
    const text = ['server:', '  port: 8080', 'resilience:', '  maxRetries: -3', 'bots:', '  support:', '    model: openai:gpt-4o-mini', '    fallbacks:', '      - openai:gpt-4o-mini', '    temprature: 1', ''].join('\n');
    const cwd = await temp.create({ 'bad.yaml': text, 'bad.json': { resilience: { maxRetries: -3 } } });
    const error = await configError(loadConfig({ cwd, configFile: 'bad.yaml', env: {} }));
    const byKey = Object.fromEntries(error.problems.map((problem) => [problem.key, problem.message]));
    expect(byKey['resilience.maxRetries']).toMatch(/\(bad\.yaml line 4\)$/);
    expect(byKey['bots.support.fallbacks[0]']).toMatch(/repeats the primary model.*\(bad\.yaml line 9\)$/);
    expect(byKey['bots.support.temprature']).toMatch(/unknown key.*\(bad\.yaml line 10\)$/);
    // JSON gives no positions: the same key, no line.
    const fromJson = await configError(loadConfig({ cwd, configFile: 'bad.json', env: {} }));
    expect(fromJson.problems.map((problem) => problem.key)).toEqual(['resilience.maxRetries']);
    expect(fromJson.problems[0]!.message).not.toMatch(/line/);
  });

  it.each([
    ['empty', '', /"empty\.yaml" is empty or only whitespace; put a YAML mapping in it/],
    ['blank', '  \n\n', /is empty or only whitespace/],
    ['comments', '# nothing here\n# at all\n', /"comments\.yaml" holds only comments/],
    ['list', '- a\n- b\n', /must hold a YAML mapping at the top/],
    ['scalar', 'just text\n', /must hold a YAML mapping at the top/],
  ])('a %s YAML file is a ConfigError', async (name, text, message) => {
    const cwd = await temp.create({ [`${name}.yaml`]: text });
    const error = await configError(loadConfig({ cwd, configFile: `${name}.yaml`, env: {} }));
    expect(error.problems).toEqual([{ key: 'configFile', message: expect.stringMatching(message) }]);
  });
});

describe('YAML safety', () => {
  it.each([
    ['a custom tag', 'server:\n  port: 1\n  host: !custom x\n', /uses the tag !custom at line 3, column \d+; only plain values/],
    ['a js/function tag', 'telemetry:\n  serviceName: !!js/function "return 1"\n', /uses the tag !!js\/function at line 2/],
    ['a binary tag', 'telemetry:\n  serviceName: !!binary aGk=\n', /uses the tag !!binary at line 2/],
    ['a merge key', 'base: &b { port: 1 }\nserver:\n  <<: *b\n  host: x\n', /uses a merge key \(<<\) at line 3, column 3; merge keys are not read/],
    ['a duplicate key', 'server:\n  port: 1\n  port: 2\n', /is not valid YAML: Map keys must be unique at line 3, column 3/],
    ['two documents', 'server: {}\n---\nbots: {}\n', /is not valid YAML: Source contains multiple documents/],
    ['a map as a key', '? { a: 1 }\n: 2\n', /has a key that is not plain text at line 1/],
    ['an alias to no anchor', 'server: *nowhere\n', /is not valid YAML: Unresolved alias/],
    ['a syntax error', 'server:\n  port: [1, 2\n', /is not valid YAML: .* at line \d+, column \d+/],
  ])('refuses %s, saying where', async (_name, text, message) => {
    const cwd = await temp.create({ 'c.yaml': text });
    const error = await configError(loadConfig({ cwd, configFile: 'c.yaml', env: {} }));
    expect(error.problems[0]).toEqual({ key: 'configFile', message: expect.stringMatching(new RegExp(`^config file "c\\.yaml" ${message.source}`)) });
  });

  it('bounds alias expansion (a "billion laughs" document is refused, a shared map is fine)', async () => {
    let laughs = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (const [name, previous] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e']]) laughs += `${name}: &${name} [${Array(10).fill(`*${previous}`).join(', ')}]\n`;
    const cwd = await temp.create({ 'laughs.yaml': laughs });
    const error = await configError(loadConfig({ cwd, configFile: 'laughs.yaml', env: {} }));
    expect(error.problems).toEqual([{ key: 'configFile', message: expect.stringMatching(/expands more than 1000 aliases/) }]);
    // An anchor under a key the schema knows, aliased by 50 bots: read, and each bot gets its own copy.
    const ok = await temp.create({ 'shared.yaml': `bots:\n  b0: { model: openai:gpt-4o-mini, params: &p { maxTokens: 64 } }\n${Array.from({ length: 49 }, (_, i) => `  b${i + 1}: { model: openai:gpt-4o-mini, params: *p }`).join('\n')}\n` });
    const config = await loadConfig({ cwd: ok, configFile: 'shared.yaml', env: {} });
    expect(Object.keys(config.bots)).toHaveLength(50);
    expect(config.bots.b49!.params).toEqual({ maxTokens: 64 });
    expect(config.bots.b49!.params).not.toBe(config.bots.b0!.params);
  });

  it('refuses deep flow nesting before the parser sees it (100,000 levels fit in 5 MiB)', async () => {
    const depth = 100_000;
    const cwd = await temp.create({ 'deep.yaml': `server: ${'['.repeat(depth)}${']'.repeat(depth)}\n` });
    const error = await configError(loadConfig({ cwd, configFile: 'deep.yaml', env: {} }));
    expect(error.problems).toEqual([{ key: 'configFile', message: expect.stringMatching(/nests \[ \] or \{ \} more than 64 levels deep/) }]);
    // Brackets inside quotes and comments do not count.
    expect(flowDepth(`a: "${'['.repeat(100)}"\nb: '${'{'.repeat(100)}'\n# ${'['.repeat(100)}\nc: [[1]]\n`)).toBe(2);
  });

  it('keeps core-schema values: dates and versions stay text, __proto__ is refused as a key', async () => {
    const cwd = await temp.create({
      'catalog.yaml': 'fake:a:\n  deprecated: { since: 2025-01-01, replacement: fake:b }\n  contextWindow: 0x1000\n',
      'proto.yaml': '__proto__:\n  polluted: true\nserver: {}\n',
    });
    const catalog = await loadCatalog('catalog.yaml', cwd);
    expect(catalog['fake:a']).toEqual({ deprecated: { since: '2025-01-01', replacement: 'fake:b' }, contextWindow: 4096 });
    const error = await configError(loadConfig({ cwd, configFile: 'proto.yaml', env: {} }));
    expect(error.problems[0]).toEqual({ key: '__proto__', message: expect.stringMatching(/"__proto__" is not allowed as a key.*\(proto\.yaml line 1\)/) });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never shows file text around a parse error (it may hold a key)', async () => {
    const secret = 'sk-live-abcdefghijklmnopqrstuvwxyz123456';
    const cwd = await temp.create({ 'leak.yaml': `providers:\n  openai:\n    apiKey: "${secret}\n  broken: [\n` });
    const error = await configError(loadConfig({ cwd, configFile: 'leak.yaml', env: {} }));
    const text = `${error.message}\n${JSON.stringify(error.problems)}`;
    expect(text).toMatch(/is not valid YAML/);
    for (let i = 0; i + 8 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 8));
  });
});

describe('YAML catalogs', () => {
  it('loads a YAML catalog; its problems have the JSON key paths and the line', async () => {
    const cwd = await temp.create({
      'models.yaml': ['fake:priced:', '  contextWindow: 8192', '  pricing: { inputPerMTok: 1, outputPerMTok: 2 }', '"ollama:llama3:8b":', '  local: true', ''].join('\n'),
      'bad.yml': ['fake:ok: {}', 'fake:bad:', '  pricing:', '    inputPerMTok: -1', '    outputPerMTok: 2', '  capabilities: { telepathy: true }', ''].join('\n'),
    });
    expect(await loadCatalog('models.yaml', cwd)).toEqual({
      'fake:priced': { contextWindow: 8192, pricing: { inputPerMTok: 1, outputPerMTok: 2 } },
      'ollama:llama3:8b': { local: true },
    });
    const error = await configError(loadCatalog('bad.yml', cwd));
    expect(error.problems).toEqual([
      { key: 'models["fake:bad"].pricing.inputPerMTok', message: expect.stringMatching(/at least 0.*\(bad\.yml line 4\)$/) },
      { key: 'models["fake:bad"].capabilities.telepathy', message: expect.stringMatching(/unknown key.*\(bad\.yml line 6\)$/) },
    ]);
  });

  it('an empty YAML catalog is a ConfigError under models', async () => {
    const cwd = await temp.create({ 'none.yaml': '\n' });
    const error = await configError(loadCatalog('none.yaml', cwd));
    expect(error.problems).toEqual([{ key: 'models', message: expect.stringContaining('"none.yaml" is empty or only whitespace') }]);
  });
});
