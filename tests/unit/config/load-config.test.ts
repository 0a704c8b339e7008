import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, LLMError } from '../../../src/core/errors.js';
import { containsSecret, scrubSecrets, SecretRegistry } from '../../../src/core/secrets.js';
import { loadConfig, type DeepPartial, type SwitchboardConfig } from '../../../src/config/index.js';
import { TempConfigDir } from './temp-files.js';

const temp = new TempConfigDir();
afterAll(() => temp.cleanup());

/** Programmatic config with values of the wrong type, as a JavaScript caller could pass it. */
function loose(config: unknown): DeepPartial<SwitchboardConfig> {
  return config as DeepPartial<SwitchboardConfig>;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect(LLMError.isInstance(error)).toBe(true);
  return error as ConfigError;
}

describe('loadConfig defaults and files', () => {
  it('gives the schema defaults when there are no files, config or variables', async () => {
    const config = await loadConfig({ configFile: [], env: {} });
    expect(config.providers.openai).toEqual({ apiKey: '', baseURL: 'https://api.openai.com/v1', timeoutMs: 60000 });
    expect(config.providers.anthropic.defaultMaxTokens).toBe(1024);
    expect(config.providers.ollama).toEqual({ baseURL: 'http://127.0.0.1:11434', timeoutMs: 60000, keepAlive: '' });
    expect(config.providers.llamacpp).toEqual({ modelsDir: './models', threads: 0, gpu: false, contextSize: 4096 });
    expect(config.responseCache).toEqual({ enabled: false, store: 'memory', max: 10000, ttlMs: 3600000, maxBytes: 64 * 1024 * 1024 });
    expect(config.sessions).toEqual({ store: 'memory', ttlMs: 1800000, max: 100000, maxHistoryBytes: 1048576 });
    expect(config.resilience.circuitBreaker).toEqual({ failureThreshold: 5, cooldownMs: 30000 });
    expect(config.telemetry).toMatchObject({ serviceName: 'llm-switchboard', captureContent: false, logLevel: 'warn' });
    expect(config.server).toEqual({ host: '127.0.0.1', port: 8787, apiKeys: [], bodyLimitBytes: 1048576, responseItems: { max: 10000, maxBytes: 33554432, ttlMs: 3600000 } });
    expect(config.redis).toEqual({ url: '', keyPrefix: 'switchboard:', commandTimeoutMs: 1000 });
    expect(config.bots).toEqual({});
    expect(config.models).toBe('config/models.json');
    expect('organization' in config.providers.openai).toBe(false);
  });

  it("reads the project's config/default.json and config/test.json under NODE_ENV=test", async () => {
    const config = await loadConfig({ cwd: process.cwd(), env: { NODE_ENV: 'test' } });
    expect(config.telemetry.logLevel).toBe('silent');
    expect(config.resilience.retryBaseDelayMs).toBe(10);
    expect(config.resilience.retryMaxDelayMs).toBe(50);
    expect(config.providers.openaiCompatible).toEqual({});
    expect(config.bots.support).toEqual({
      model: 'openai:gpt-4o-mini',
      fallbacks: ['anthropic:claude-haiku-4-5'],
      system: 'You are a concise support agent.',
      params: { maxTokens: 512 },
      adapters: [{ name: 'pii-redact' }, { name: 'max-length', options: { maxChars: 1200 } }],
    });
  });

  it('reads config/<NODE_ENV>.json over config/default.json only when it exists', async () => {
    const cwd = await temp.create({
      'config/default.json': { server: { port: 1111, host: '0.0.0.0' } },
      'config/staging.json': { server: { port: 2222 } },
    });
    expect((await loadConfig({ cwd, env: { NODE_ENV: 'staging' } })).server).toMatchObject({ port: 2222, host: '0.0.0.0' });
    expect((await loadConfig({ cwd, env: { NODE_ENV: 'production' } })).server.port).toBe(1111);
    expect((await loadConfig({ cwd, env: {} })).server.port).toBe(1111);
  });

  it('reads the files SWITCHBOARD_CONFIG names (comma-separated, in order) instead of the defaults', async () => {
    const cwd = await temp.create({
      'config/default.json': { server: { port: 1111 } },
      'a.json': { server: { port: 3333 }, limits: { maxMessages: 7 } },
      'b.json': { server: { port: 4444 } },
    });
    const config = await loadConfig({ cwd, env: { SWITCHBOARD_CONFIG: 'a.json, b.json' } });
    expect(config.server.port).toBe(4444);
    expect(config.limits.maxMessages).toBe(7);
  });

  it('reads configFile instead of the defaults and SWITCHBOARD_CONFIG', async () => {
    const cwd = await temp.create({
      'config/default.json': { server: { port: 1111 } },
      'env.json': { server: { port: 3333 } },
      'given.json': { server: { port: 5555 } },
    });
    expect((await loadConfig({ cwd, configFile: 'given.json', env: { SWITCHBOARD_CONFIG: 'env.json' } })).server.port).toBe(5555);
  });

  it('refuses an empty or whitespace-only file, naming it (defaults would start an unauthenticated gateway)', async () => {
    const cwd = await temp.create({ 'empty.json': '', 'blank.json': '  \n\t\r\n ', 'bom.json': '\ufeff', 'config/default.json': '\n' });
    for (const file of ['empty.json', 'blank.json', 'bom.json']) {
      const error = await configError(loadConfig({ cwd, configFile: file, env: {} }));
      expect(error.problems).toEqual([{ key: 'configFile', message: expect.stringContaining(`"${file}" is empty or only whitespace`) }]);
      expect(error.message).toContain(file);
    }
    // config/default.json is optional when absent, not when present and empty.
    const defaults = await configError(loadConfig({ cwd, env: {} }));
    expect(defaults.problems).toEqual([{ key: 'configFile', message: expect.stringContaining('"config/default.json" is empty') }]);
    const named = await configError(loadConfig({ cwd, env: { SWITCHBOARD_CONFIG: 'blank.json' } }));
    expect(named.problems).toEqual([{ key: 'SWITCHBOARD_CONFIG', message: expect.stringContaining('"blank.json" is empty') }]);
    // `{}` is the way to say "only the defaults".
    const explicit = await temp.create({ 'nothing.json': '{}' });
    expect((await loadConfig({ cwd: explicit, configFile: 'nothing.json', env: {} })).server.apiKeys).toEqual([]);
  });

  it('names a missing or unparseable file without showing its contents', async () => {
    const secret = 'sk-inbrokenfile-7Kq2Wz9Lm4Xv8Rt';
    const cwd = await temp.create({ 'broken.json': `{ "providers": { "openai": { "apiKey": "${secret}" } }, }` });
    const missing = await configError(loadConfig({ cwd, configFile: ['nope.json'], env: {} }));
    expect(missing.problems).toEqual([{ key: 'configFile', message: expect.stringContaining('"nope.json" not found') }]);
    const broken = await configError(loadConfig({ cwd, configFile: 'broken.json', env: {} }));
    expect(broken.problems[0]).toEqual({ key: 'configFile', message: expect.stringMatching(/"broken\.json" is not valid JSON: .*line 1, column \d+/) });
    expect(broken.message).not.toContain('inbroken');
    expect(broken.message).not.toContain('[REDACTED]');
  });
});

describe('precedence and merging', () => {
  it('puts environment variables over config over files over defaults', async () => {
    const cwd = await temp.create({
      'base.json': { server: { port: 1111, host: 'file-host', bodyLimitBytes: 2048 }, telemetry: { serviceName: 'from-file', logLevel: 'info' } },
    });
    const config = await loadConfig({
      cwd,
      configFile: 'base.json',
      config: { server: { port: 2222, host: 'config-host' }, telemetry: { serviceName: 'from-config' } },
      env: { SWITCHBOARD_PORT: '3333', OTEL_SERVICE_NAME: 'from-env' },
    });
    expect(config.server.port).toBe(3333); // env over config
    expect(config.telemetry.serviceName).toBe('from-env');
    expect(config.server.host).toBe('config-host'); // config over file
    expect(config.server.bodyLimitBytes).toBe(2048); // file over default
    expect(config.telemetry.logLevel).toBe('info');
    expect(config.telemetry.captureContent).toBe(false); // default
  });

  it('maps every documented environment variable to its key, coercing numbers and booleans strictly', async () => {
    const config = await loadConfig({
      configFile: [],
      env: {
        OPENAI_API_KEY: 'sk-env-openai-1234567890',
        OPENAI_BASE_URL: 'http://127.0.0.1:9001/v1',
        ANTHROPIC_API_KEY: 'sk-ant-env-1234567890',
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:9002',
        HF_TOKEN: 'hf_envtoken1234567890',
        HF_ENDPOINT_URL: 'http://127.0.0.1:9003',
        OLLAMA_HOST: '0.0.0.0',
        LLAMACPP_MODELS_DIR: '/srv/models',
        REDIS_URL: 'redis://127.0.0.1:6390',
        SWITCHBOARD_HOST: '0.0.0.0',
        SWITCHBOARD_PORT: '8080',
        SWITCHBOARD_LOG_LEVEL: 'debug',
        OTEL_SERVICE_NAME: 'svc',
        SWITCHBOARD_CAPTURE_CONTENT: '1',
      },
    });
    expect(config.providers.openai).toMatchObject({ apiKey: 'sk-env-openai-1234567890', baseURL: 'http://127.0.0.1:9001/v1' });
    expect(config.providers.anthropic).toMatchObject({ apiKey: 'sk-ant-env-1234567890', baseURL: 'http://127.0.0.1:9002' });
    expect(config.providers.huggingface).toMatchObject({ apiKey: 'hf_envtoken1234567890', endpointUrl: 'http://127.0.0.1:9003' });
    expect(config.providers.ollama.baseURL).toBe('http://127.0.0.1:11434');
    expect(config.providers.llamacpp.modelsDir).toBe('/srv/models');
    expect(config.redis.url).toBe('redis://127.0.0.1:6390');
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(config.telemetry).toMatchObject({ logLevel: 'debug', serviceName: 'svc', captureContent: true });
    const off = await loadConfig({ configFile: [], env: { SWITCHBOARD_CAPTURE_CONTENT: 'off', OLLAMA_HOST: 'gpu-box:11500' } });
    expect(off.telemetry.captureContent).toBe(false);
    expect(off.providers.ollama.baseURL).toBe('http://gpu-box:11500');
  });

  it('treats an empty environment variable as unset', async () => {
    const config = await loadConfig({ configFile: [], config: { server: { port: 2222 } }, env: { SWITCHBOARD_PORT: '', OPENAI_API_KEY: '' } });
    expect(config.server.port).toBe(2222);
    expect(config.providers.openai.apiKey).toBe('');
  });

  it('merges objects deeply and lets an array replace the array beneath it', async () => {
    const cwd = await temp.create({
      'base.json': {
        bots: { support: { model: 'openai:gpt-4o', fallbacks: ['anthropic:claude-a', 'ollama:llama3'], params: { temperature: 0.1, maxTokens: 100 } } },
        server: { apiKeys: [{ key: 'gateway-key-one-123', tenant: 'a' }, { key: 'gateway-key-two-456', tenant: 'b' }] },
      },
    });
    const config = await loadConfig({
      cwd,
      configFile: 'base.json',
      config: { bots: { support: { fallbacks: ['ollama:llama3'], params: { temperature: 0.7 } } }, server: { apiKeys: [{ key: 'gateway-key-three-789', tenant: 'c' }] } },
      env: {},
    });
    expect(config.bots.support).toEqual({ model: 'openai:gpt-4o', fallbacks: ['ollama:llama3'], params: { temperature: 0.7, maxTokens: 100 } });
    expect(config.server.apiKeys).toEqual([{ key: 'gateway-key-three-789', tenant: 'c' }]);
  });

  it('does not change the config object it was given', async () => {
    const given = { bots: { b: { model: 'openai:gpt-4o', fallbacks: ['anthropic:claude-x'] } } };
    const copy = JSON.parse(JSON.stringify(given));
    const config = await loadConfig({ configFile: [], config: given, env: {} });
    config.bots.b!.fallbacks!.push('ollama:x');
    expect(given).toEqual(copy);
  });
});

describe('${ENV} substitution', () => {
  it('replaces ${NAME} and ${NAME:-default} in every string of files and config, and keeps $${NAME} literal', async () => {
    const cwd = await temp.create({
      'base.json': { providers: { openaiCompatible: { vllm: { baseURL: 'http://${VLLM_HOST}:8000/v1', apiKey: '${VLLM_KEY}' } } } },
    });
    const config = await loadConfig({
      cwd,
      configFile: 'base.json',
      config: {
        bots: { b: { model: '${BOT_MODEL:-openai:gpt-4o-mini}', system: 'Hello ${NAME}, cost $${PRICE}' } },
        telemetry: { serviceName: 'svc-${REGION:-eu}-${UNSET_ONE}x' },
      },
      env: { VLLM_HOST: '10.0.0.5', VLLM_KEY: 'vllm-secret-key-123', NAME: 'Ada' },
    });
    expect(config.providers.openaiCompatible.vllm).toEqual({ baseURL: 'http://10.0.0.5:8000/v1', apiKey: 'vllm-secret-key-123' });
    expect(config.bots.b!.model).toBe('openai:gpt-4o-mini');
    expect(config.bots.b!.system).toBe('Hello Ada, cost ${PRICE}');
    expect(config.telemetry.serviceName).toBe('svc-eu-x');
  });

  it('expands an unset ${NAME} to an empty string: an empty key is a provider that is not ready, not an error', async () => {
    const cwd = await temp.create({ 'base.json': { providers: { openai: { apiKey: '${NOT_SET_ANYWHERE}' } } } });
    const config = await loadConfig({ cwd, configFile: 'base.json', env: {} });
    expect(config.providers.openai.apiKey).toBe('');
  });
});

describe('functions and secrets', () => {
  it('keeps fetch functions given in config, for built-in and OpenAI-compatible providers and adapter options', async () => {
    const openaiFetch: typeof fetch = async () => new Response('{}');
    const vllmFetch: typeof fetch = async () => new Response('{}');
    const redact = (text: string) => text.toUpperCase();
    const config = await loadConfig({
      configFile: [],
      config: {
        providers: { openai: { fetch: openaiFetch }, openaiCompatible: { vllm: { baseURL: 'http://127.0.0.1:8000/v1', fetch: vllmFetch } } },
        bots: { b: { model: 'vllm:llama', adapters: [{ name: 'custom', options: { transform: redact, pattern: /x+/g } }] } },
      },
      env: {},
    });
    expect(config.providers.openai.fetch).toBe(openaiFetch);
    expect(config.providers.openaiCompatible.vllm).toEqual({ baseURL: 'http://127.0.0.1:8000/v1', apiKey: '', fetch: vllmFetch });
    expect(config.bots.b!.adapters![0]!.options!.transform).toBe(redact);
    expect(config.bots.b!.adapters![0]!.options!.pattern).toBeInstanceOf(RegExp);
  });

  it('lets a programmatic fetch function win over a value a file put at the same key', async () => {
    const cwd = await temp.create({ 'base.json': { providers: { ollama: { fetch: 'from-file' } } } });
    const ollamaFetch: typeof fetch = async () => new Response('{}');
    const config = await loadConfig({ cwd, configFile: 'base.json', config: { providers: { ollama: { fetch: ollamaFetch } } }, env: {} });
    expect(config.providers.ollama.fetch).toBe(ollamaFetch);
    await configError(loadConfig({ cwd, configFile: 'base.json', env: {} }));
  });

  it('registers every credential it loads in its own registry (never the process-wide one), so it is scrubbed from anything emitted later', async () => {
    const secrets = new SecretRegistry();
    const keys = {
      openai: 'sk-reg-openai-Aq1Wz2Sx3Ed4',
      anthropic: 'sk-ant-reg-Rf5Tg6Yh7Uj8',
      hf: 'hf_regTokenIk9Ol0Pq1Aw2',
      vllm: 'vllm-reg-Zx3Cv4Bn5Mm6',
      gateway: 'gw-reg-Lk7Jh8Gf9Ds0',
      redis: 'redisPassQw1Er2Ty3',
    };
    await loadConfig({
      secrets,
      configFile: [],
      config: {
        providers: { anthropic: { apiKey: keys.anthropic }, openaiCompatible: { vllm: { baseURL: 'http://127.0.0.1:1/v1', apiKey: keys.vllm } } },
        server: { apiKeys: [{ key: keys.gateway, tenant: 't' }] },
      },
      env: { OPENAI_API_KEY: keys.openai, HF_TOKEN: keys.hf, REDIS_URL: `redis://:${keys.redis}@127.0.0.1:6379` },
    });
    for (const key of Object.values(keys)) {
      expect(secrets.contains(`upstream said: ${key}`)).toBe(true);
      expect(secrets.scrub(`upstream said: ${key}`)).not.toContain(key);
      // One switchboard's keys never redact another's messages.
      expect(containsSecret(`upstream said: ${key}`)).toBe(false);
      expect(scrubSecrets(`upstream said: ${key.slice(0, 3)}`)).toBe(`upstream said: ${key.slice(0, 3)}`);
    }
  });
});

describe('all problems at once', () => {
  it('reports five different mistakes in one ConfigError naming all five key paths', async () => {
    const error = await configError(
      loadConfig({
        configFile: [],
        config: loose({
          providers: { openai: { baseURL: 'not a url' }, ollama: { timeoutMs: -5 } },
          bots: { support: { model: 'openai:gpt-4o', fallbacks: ['openai:gpt-4o'] } },
          telemetry: { logLevel: 'chatty' },
          server: { prot: 8080 },
        }),
        env: {},
      }),
    );
    const keys = error.problems.map((p) => p.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'providers.openai.baseURL',
        'providers.ollama.timeoutMs',
        'bots.support.fallbacks[0]',
        'telemetry.logLevel',
        'server.prot',
      ]),
    );
    expect(error.problems).toHaveLength(5);
    expect(error.problems.find((p) => p.key === 'server.prot')!.message).toContain('did you mean "port"?');
    for (const key of keys) expect(error.message).toContain(key);
    expect(error.code).toBe('config_error');
    expect(error.toJSON()).toMatchObject({ name: 'ConfigError', problems: error.problems });
  });

  it('checks an inline model catalog with the rest of the config', async () => {
    const error = await configError(
      loadConfig({
        configFile: [],
        config: loose({ models: { 'openai:gpt-4o': { pricing: { inputPerMTok: -1, outputPerMTok: 10 } }, gpt: {} }, server: { port: -1 } }),
        env: {},
      }),
    );
    expect(error.problems.map((p) => p.key)).toEqual(['server.port', 'models["openai:gpt-4o"].pricing.inputPerMTok', 'models.gpt']);
  });

  it('keeps a valid inline catalog, without comment keys', async () => {
    const config = await loadConfig({
      configFile: [],
      config: { models: { _comment: 'mine', 'vllm:llama': { contextWindow: 8192, pricing: { inputPerMTok: 0.1, outputPerMTok: 0.2 } } } },
      env: {},
    });
    expect(config.models).toEqual({ 'vllm:llama': { contextWindow: 8192, pricing: { inputPerMTok: 0.1, outputPerMTok: 0.2 } } });
  });

  it('accepts bots naming providers registered at run time when told about them', async () => {
    const config = { bots: { b: { model: 'custom:model-1' } } };
    await configError(loadConfig({ configFile: [], config, env: {} }));
    const loaded = await loadConfig({ configFile: [], config, env: {}, extraProviders: ['custom'] });
    expect(loaded.bots.b!.model).toBe('custom:model-1');
  });
});
