/**
 * The config is built from the provider definitions: the built-in list drives the schema (every
 * definition's keys, defaults, environment variables, secrets and fetch), and a user-land
 * definition, object or map, gets the same treatment with no source edit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { builtinEnvBindings } from '../../../src/config/config-model.js';
import { configField } from '../../../src/config/schema-fields.js';
import { ConfigError } from '../../../src/core/errors.js';
import { SecretRegistry } from '../../../src/core/secrets.js';
import { loadConfig, BUILTIN_PROVIDERS, type DeepPartial, type SwitchboardConfig } from '../../../src/config/index.js';
import { BUILTIN_PROVIDER_DEFINITIONS } from '../../../src/managers/builtin-providers.js';
import { envOf, secretFieldsOf, type ProviderDefinition } from '../../../src/managers/provider-definition.js';
import { FakeProvider } from '../../../src/testing/index.js';

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

const objectSections = BUILTIN_PROVIDER_DEFINITIONS.filter((definition) => definition.section !== 'map');

/** A user-land provider with a secret whose name is not credential-shaped, and a check of its own. */
const vaultProvider: ProviderDefinition<'vault', { accessCode: string; region: string; retries: number }> = {
  id: 'vault',
  description: 'A provider defined in this test',
  configSchema: {
    accessCode: configField('', 'sb-string', 'Access code', { env: 'VAULT_ACCESS_CODE', sensitive: true }),
    region: configField('eu', ['eu', 'us'], 'Region'),
    retries: configField(1, 'sb-int-min0', 'Retries', { env: 'VAULT_RETRIES' }),
  },
  validate: (config, path) => (config.region === 'us' && config.retries > 3 ? [{ key: `${path}.retries`, message: 'must be at most 3 in the us region' }] : []),
  create: (deps) => new FakeProvider({ provider: 'vault', deps }),
};

/** A user-land map section: each entry is a provider. */
const fakesProvider: ProviderDefinition<'fakes', Record<string, { label: string; weight?: number }>> = {
  id: 'fakes',
  description: 'Named fakes',
  section: 'map',
  configSchema: {
    label: configField<string>(null, 'sb-nonempty-string', 'Required label'),
    weight: configField(1, 'sb-int-min1', 'Weight'),
  },
  create: (deps, entries) => Object.keys(entries).map((name) => new FakeProvider({ provider: name, deps })),
};

describe('the built-in list drives the schema', () => {
  it('binds every environment variable of every definition to its key', () => {
    const bound = builtinEnvBindings().map((binding) => `${binding.env}=${binding.path.join('.')}`);
    for (const definition of objectSections) {
      for (const field of Object.keys(definition.configSchema)) {
        const env = envOf(definition.configSchema, field);
        if (env) expect(bound).toContain(`${env}=providers.${definition.id}.${field}`);
      }
    }
    // And nothing under providers that no definition declares.
    const declared = objectSections.flatMap((definition) => Object.keys(definition.configSchema).flatMap((field) => envOf(definition.configSchema, field) ?? []));
    expect(builtinEnvBindings().filter((binding) => binding.path[0] === 'providers').map((binding) => binding.env).sort()).toEqual([...declared].sort());
  });

  it("loads every definition's section with its schema defaults, and a fetch where it takes one", async () => {
    const fetchFn: typeof fetch = async () => new Response('{}');
    const fetches = Object.fromEntries(objectSections.filter((definition) => definition.takesFetch).map((definition) => [definition.id, { fetch: fetchFn }]));
    const config = await loadConfig({ configFile: [], env: {}, config: { providers: fetches } as DeepPartial<SwitchboardConfig> });
    for (const definition of objectSections) {
      const section = config.providers[definition.id] as Record<string, unknown>;
      for (const [field, leaf] of Object.entries(definition.configSchema)) {
        if ((leaf as { default?: unknown }).default !== undefined) expect({ [field]: section[field] }).toEqual({ [field]: (leaf as { default: unknown }).default });
      }
      expect(section.fetch === fetchFn).toBe(definition.takesFetch === true);
    }
    const noFetch = objectSections.find((definition) => !definition.takesFetch);
    if (noFetch) {
      const refused = await configError(loadConfig({ configFile: [], env: {}, config: { providers: { [noFetch.id]: { fetch: fetchFn } } } as DeepPartial<SwitchboardConfig> }));
      expect(refused.problems[0]).toMatchObject({ key: `providers.${noFetch.id}.fetch`, message: expect.stringContaining('functions are allowed only') });
    }
  });

  it('refuses a placeholder in every secret field, naming the variable that sets it', async () => {
    for (const definition of objectSections) {
      for (const field of secretFieldsOf(definition)) {
        const error = await configError(loadConfig({ configFile: [], env: {}, config: { providers: { [definition.id]: { [field]: 'YOUR_API_KEY' } } } as DeepPartial<SwitchboardConfig> }));
        const env = envOf(definition.configSchema, field);
        expect(error.problems).toContainEqual({ key: `providers.${definition.id}.${field}`, message: expect.stringContaining(env ? `set ${env}` : 'placeholder') });
      }
    }
  });

  it('names every object section as a provider bots may use', () => {
    for (const definition of objectSections) expect(BUILTIN_PROVIDERS).toContain(definition.id);
  });
});

describe('a user-land definition', () => {
  it('adds its section: defaults, enums, variables, its own check', async () => {
    const config = await loadConfig({ providers: [vaultProvider], configFile: [], env: { VAULT_RETRIES: '2' } });
    expect(config.providers.vault).toEqual({ accessCode: '', region: 'eu', retries: 2 });
    const error = await configError(loadConfig({ providers: [vaultProvider], configFile: [], env: { VAULT_RETRIES: 'many' }, config: { providers: { vault: { region: 'mars' } } } }));
    expect(error.problems.map((problem) => problem.key)).toEqual(['providers.vault.region', 'providers.vault.retries']);
    expect(error.problems[1]!.message).toContain('(from environment variable VAULT_RETRIES)');
    const own = await configError(loadConfig({ providers: [vaultProvider], configFile: [], env: {}, config: { providers: { vault: { region: 'us', retries: 5 } } } }));
    expect(own.problems).toEqual([{ key: 'providers.vault.retries', message: 'must be at most 3 in the us region' }]);
  });

  it('keeps its secret out of problems and registers it, whatever the field is called', async () => {
    const code = 'Zq8Wm3Tk7Lp2Xv9Rb4Nd';
    const secrets = new SecretRegistry();
    await loadConfig({ providers: [vaultProvider], configFile: [], env: { VAULT_ACCESS_CODE: code }, secrets });
    expect(secrets.contains(`said ${code}`)).toBe(true);
    const error = await configError(loadConfig({ providers: [vaultProvider], configFile: [], env: {}, config: { providers: { vault: { accessCode: 42 } } } }));
    expect(error.problems).toEqual([{ key: 'providers.vault.accessCode', message: 'must be a string' }]);
  });

  it('a map section: entries are providers, checked against the entry schema, with defaults filled in', async () => {
    const config = await loadConfig({ providers: [fakesProvider], configFile: [], env: {}, config: { providers: { fakes: { alpha: { label: 'A' } } }, bots: { b: { model: 'alpha:m' } } } });
    expect(config.providers.fakes).toEqual({ alpha: { label: 'A', weight: 1 } });
    const error = await configError(
      loadConfig({ providers: [fakesProvider], configFile: [], env: {}, config: { providers: { fakes: { beta: { weight: 0 }, openai: { label: 'x' }, 'bad name': { label: 'y' } } } } }),
    );
    expect(error.problems.map((problem) => problem.key)).toEqual(['providers.fakes.beta.weight', 'providers.fakes.beta.label', 'providers.fakes.openai', 'providers.fakes["bad name"]']);
    expect(error.problems[1]!.message).toBe('is required');
  });

  it('is refused when its id or schema is wrong, before anything is read', async () => {
    const clash = await configError(loadConfig({ providers: [{ ...vaultProvider, id: 'anthropic' }], configFile: ['does-not-exist.json'], env: {} }));
    expect(clash.problems).toEqual([{ key: 'providers.anthropic', message: expect.stringContaining('two provider definitions') }]);
    const badId = await configError(loadConfig({ providers: [{ ...vaultProvider, id: 'no spaces' }], configFile: [], env: {} }));
    expect(badId.problems[0]!.key).toBe('providers');
    const badFormat = await configError(loadConfig({ providers: [{ ...vaultProvider, configSchema: { x: configField('', 'sb-no-such-format', 'x') } }], configFile: [], env: {} }));
    expect(badFormat.problems[0]!.key).toBe('providers.vault.x');
    const envInMap = await configError(loadConfig({ providers: [{ ...fakesProvider, configSchema: { label: configField('', 'sb-string', 'l', { env: 'LABEL' }) } }], configFile: [], env: {} }));
    expect(envInMap.problems[0]!.key).toBe('providers.fakes.label');
  });
});

describe('docs/configuration.md', () => {
  it('lists every environment variable the built-in schema reads, with its key', () => {
    const page = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    for (const binding of builtinEnvBindings()) expect(page).toMatch(new RegExp(`\\| \`${binding.env}\` \\| \`${binding.path.join('\\.')}\``));
  });
});
