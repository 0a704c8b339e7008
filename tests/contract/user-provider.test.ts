/**
 * docs/adding-a-provider.md followed literally: a provider defined only in this file (an
 * OpenAI-compatible API with its own default base URL and key variable), handed to
 * `createSwitchboard({ providers: [definition] })` with no source edit, runs the shared contract
 * suite against the fake OpenAI server (reached through its base-URL variable), and gets what a
 * built-in gets from config: defaults, its environment variables, placeholder and fetch checks,
 * readiness naming its variable, secrets registered, bots that may name it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthenticationError, ConfigError } from '../../src/core/errors.js';
import { createSwitchboard, loadConfig, openAICompatibleProvider, silentLogger, type CreateSwitchboardOptions, type Switchboard } from '../../src/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { runManagerContract } from './manager-contract.js';
import { openAIHarnessWith } from './openai-harness.js';

// docs/adding-a-provider.md, step 1: the whole provider.
export const mistralProvider = openAICompatibleProvider({
  id: 'mistral',
  description: 'Mistral La Plateforme (OpenAI-compatible chat completions)',
  defaultBaseURL: 'https://api.mistral.ai/v1',
  apiKeyEnv: 'MISTRAL_API_KEY',
  baseURLEnv: 'MISTRAL_BASE_URL',
});

const MODEL = 'mistral-small-latest';
const KEY = 'mistral-contract-Qz7Wx2Lk9Vb4';
/** Test timing: no retries (the contract counts requests), 5 s deadlines, no catalog file. */
const QUIET = { models: {}, resilience: { maxRetries: 0, timeoutMs: 5_000, firstChunkTimeoutMs: 5_000, idleChunkTimeoutMs: 5_000 } };

/** A switchboard with the user-land provider; `env` is all the environment it reads. */
function switchboard(env: Record<string, string>, extra: Partial<CreateSwitchboardOptions> = {}): Promise<Switchboard> {
  return createSwitchboard({ providers: [mistralProvider], configFile: [], env, config: QUIET, logger: silentLogger, ...extra });
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    (value) => {
      if (value && typeof (value as Switchboard).close === 'function') void (value as Switchboard).close();
      return undefined;
    },
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

runManagerContract('user-land provider (mistral, defined in the test file)', () =>
  openAIHarnessWith(
    MODEL,
    async (baseURL) => {
      // The key and the base URL reach the provider through its own environment variables.
      const sb = await switchboard({ MISTRAL_API_KEY: KEY, MISTRAL_BASE_URL: baseURL });
      return { manager: sb.registry.getManager('mistral'), close: () => sb.close() };
    },
    KEY,
  ),
);

describe('a user-land provider through createSwitchboard({ providers })', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await FakeOpenAIServer.start({ apiKey: KEY });
  });
  afterAll(() => server.close());

  it('gets its own config section with its defaults and environment variables', async () => {
    const defaults = await loadConfig({ providers: [mistralProvider], configFile: [], env: {} });
    expect(defaults.providers.mistral).toEqual({ apiKey: '', baseURL: 'https://api.mistral.ai/v1', timeoutMs: 60000 });
    const fromEnv = await loadConfig({ providers: [mistralProvider], configFile: [], env: { MISTRAL_API_KEY: KEY, MISTRAL_BASE_URL: server.baseURL } });
    expect(fromEnv.providers.mistral).toEqual({ apiKey: KEY, baseURL: server.baseURL, timeoutMs: 60000 });
    // Without the definition the section is an unknown key, like any typo.
    const unknown = await configError(loadConfig({ configFile: [], env: {}, config: { providers: { mistral: { apiKey: KEY } } } }));
    expect(unknown.problems.map((problem) => problem.key)).toEqual(['providers.mistral']);
  });

  it('is not ready without its key, naming its variable, and makes no request', async () => {
    const sb = await switchboard({ MISTRAL_BASE_URL: server.baseURL });
    try {
      expect(sb.registry.listProviders()).toContainEqual({ name: 'mistral', ready: false, reason: 'set MISTRAL_API_KEY (providers.mistral.apiKey)' });
      const before = server.requestCount;
      const error = await sb.chat({ model: `mistral:${MODEL}`, messages: [{ role: 'user', content: 'hi' }] }).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toContain('MISTRAL_API_KEY');
      expect(server.requestCount).toBe(before);
    } finally {
      await sb.close();
    }
  });

  it('refuses a placeholder key, naming its variable, and never echoes the value', async () => {
    const error = await configError(switchboard({ MISTRAL_API_KEY: 'YOUR_API_KEY' }));
    expect(error.problems).toEqual([{ key: 'providers.mistral.apiKey', message: expect.stringContaining('looks like a placeholder: set MISTRAL_API_KEY') }]);
    const notString = await configError(switchboard({}, { config: { ...QUIET, providers: { mistral: { apiKey: 12345678, baseURL: 'not a url' } } } }));
    expect(notString.problems.map((problem) => problem.key)).toEqual(['providers.mistral.apiKey', 'providers.mistral.baseURL']);
    expect(notString.message).not.toContain('12345678');
  });

  it('takes a programmatic fetch, and registers its key as a secret', async () => {
    let fetched = 0;
    const countingFetch: typeof fetch = (input, init) => {
      fetched++;
      return fetch(input, init);
    };
    const sb = await switchboard({ MISTRAL_API_KEY: KEY }, { config: { ...QUIET, providers: { mistral: { baseURL: server.baseURL, fetch: countingFetch } } } });
    try {
      server.script(MODEL, { text: 'through your fetch' });
      expect((await sb.chat({ model: `mistral:${MODEL}`, messages: [{ role: 'user', content: 'hi' }] })).text).toBe('through your fetch');
      expect(fetched).toBe(1);
      expect(sb.secrets.contains(`upstream said ${KEY}`)).toBe(true);
    } finally {
      await sb.close();
    }
  });

  it('lets bots in config name it, and serves them', async () => {
    const bots = { helper: { model: `mistral:${MODEL}` } };
    await configError(createSwitchboard({ configFile: [], env: {}, config: { ...QUIET, bots }, logger: silentLogger }));
    const sb = await switchboard({ MISTRAL_API_KEY: KEY, MISTRAL_BASE_URL: server.baseURL }, { config: { ...QUIET, bots } });
    try {
      server.script(MODEL, { text: 'bot answer' });
      expect((await sb.chat({ bot: 'helper', messages: [{ role: 'user', content: 'hi' }] })).text).toBe('bot answer');
    } finally {
      await sb.close();
    }
  });

  it('serves a config loaded once (loadedConfig), loaded with the same definitions', async () => {
    const loaded = await loadConfig({ providers: [mistralProvider], configFile: [], config: QUIET, env: { MISTRAL_API_KEY: KEY, MISTRAL_BASE_URL: server.baseURL } });
    const sb = await createSwitchboard({ providers: [mistralProvider], loadedConfig: loaded, logger: silentLogger });
    try {
      expect(sb.registry.getManager('mistral').status()).toEqual({ name: 'mistral', ready: true });
      // Credentials of a config loaded elsewhere are still this switchboard's secrets.
      expect(sb.secrets.contains(`upstream said ${KEY}`)).toBe(true);
    } finally {
      await sb.close();
    }
    const withoutIt = await loadConfig({ configFile: [], config: QUIET, env: {} });
    const missing = await configError(createSwitchboard({ providers: [mistralProvider], loadedConfig: withoutIt, logger: silentLogger }));
    expect(missing.problems.map((problem) => problem.key)).toEqual(['providers.mistral']);
  });

  it('refuses a definition that takes a built-in id', async () => {
    const clash = await configError(createSwitchboard({ providers: [{ ...mistralProvider, id: 'openai' }], configFile: [], env: {}, logger: silentLogger }));
    expect(clash.problems).toEqual([{ key: 'providers.openai', message: expect.stringContaining('two provider definitions') }]);
  });
});

describe('docs/adding-a-provider.md', () => {
  it('shows exactly the definition this file runs', () => {
    const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
    const doc = readFileSync(new URL('../../docs/adding-a-provider.md', import.meta.url), 'utf8');
    const source = readFileSync(new URL(import.meta.url), 'utf8');
    const definition = /export const mistralProvider = openAICompatibleProvider\(\{[\s\S]*?\}\);/.exec(source)![0];
    expect(squash(doc)).toContain(squash(definition));
  });
});
