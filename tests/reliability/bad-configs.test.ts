/**
 * RELIABILITY.md row "bad configs (>= 40 kinds)" through the whole stack: each bad config handed to
 * createSwitchboard (providers pointing at the live fake servers, canary keys in place) throws one
 * ConfigError naming the key path, shows no secret (nor any 8-character piece of one), makes 0
 * upstream requests, and leaves `({}).polluted === undefined`. Mistakes come from programmatic
 * config, config files and environment variables, and from the parts built after loading (bots'
 * adapters and their options).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { ConfigError } from '../../src/core/errors.js';
import { exposedText, leakedPieces } from '../helpers/secret-scan.js';
import { TempConfigDir } from '../unit/config/temp-files.js';
import { startChaosServers, type ChaosServers } from './helpers.js';

const CANARY = 'sk-proj-Zq8Wm3Tk7Lp2Xv9Rb4Nd6Hf1Jc5Gs0Ya';
const CANARY_ANTHROPIC = 'sk-ant-api03-Pw5Ek2Mv8Qz3Ub7Rn1Tx6Lh4Ys9Dc0Fa';

interface BadConfig {
  name: string;
  /** The key path a problem must be reported at. */
  key: string;
  config?: unknown;
  /** Files written next to the base file and loaded after it, in order. */
  files?: Record<string, unknown>;
  env?: Record<string, string>;
}

const bot = (fields: Record<string, unknown>) => ({ bots: { b: { model: 'openai:gpt-ok', ...fields } } });
const parsed = (json: string): unknown => JSON.parse(json);

const CASES: BadConfig[] = [
  // Credentials
  { name: 'placeholder key YOUR_API_KEY', key: 'providers.openai.apiKey', config: { providers: { openai: { apiKey: 'YOUR_API_KEY' } } } },
  { name: 'placeholder key sk-ant-...', key: 'providers.anthropic.apiKey', config: { providers: { anthropic: { apiKey: 'sk-ant-...' } } } },
  { name: 'placeholder key from HF_TOKEN', key: 'providers.huggingface.apiKey', env: { HF_TOKEN: '<your token>' } },
  { name: 'unexpanded ${VAR} in a key', key: 'providers.openai.apiKey', env: { OPENAI_API_KEY: '${OPENAI_API_KEY}' } },
  { name: 'key that is not a string', key: 'providers.openai.apiKey', config: { providers: { openai: { apiKey: 12345678 } } } },
  { name: 'empty gateway key', key: 'server.apiKeys[0].key', config: { server: { apiKeys: [{ key: '', tenant: 'a' }] } } },
  { name: 'gateway key without tenant', key: 'server.apiKeys[0].tenant', config: { server: { apiKeys: [{ key: CANARY }] } } },
  { name: 'duplicate gateway keys', key: 'server.apiKeys[1].key', config: { server: { apiKeys: [{ key: CANARY, tenant: 'a' }, { key: CANARY, tenant: 'b' }] } } },
  { name: 'misspelt apiKey holding a key', key: 'providers.openai.apikey', config: { providers: { openai: { apikey: CANARY } } } },
  // URLs
  { name: 'baseURL that is no URL', key: 'providers.openai.baseURL', config: { providers: { openai: { baseURL: 'not a url' } } } },
  { name: 'ftp baseURL', key: 'providers.anthropic.baseURL', config: { providers: { anthropic: { baseURL: 'ftp://127.0.0.1/' } } } },
  { name: 'credentials in a baseURL', key: 'providers.openai.baseURL', config: { providers: { openai: { baseURL: `http://user:${CANARY}@127.0.0.1:1/v1` } } } },
  { name: 'javascript: URL from OPENAI_BASE_URL', key: 'providers.openai.baseURL', env: { OPENAI_BASE_URL: 'javascript:alert(1)' } },
  { name: 'endpoint URL without scheme', key: 'providers.huggingface.endpointUrl', config: { providers: { huggingface: { endpointUrl: 'localhost:8080' } } } },
  { name: 'OpenAI-compatible endpoint without baseURL', key: 'providers.openaiCompatible.vllm.baseURL', config: { providers: { openaiCompatible: { vllm: { apiKey: '' } } } } },
  { name: 'redis URL with an http scheme and a password', key: 'redis.url', config: { redis: { url: `http://:${CANARY}@127.0.0.1:6379` } } },
  { name: 'empty ollama baseURL', key: 'providers.ollama.baseURL', config: { providers: { ollama: { baseURL: '' } } } },
  // Numbers
  { name: 'negative provider timeout', key: 'providers.openai.timeoutMs', config: { providers: { openai: { timeoutMs: -1 } } } },
  { name: 'NaN retries', key: 'resilience.maxRetries', config: { resilience: { maxRetries: NaN } } },
  { name: 'Infinity call timeout', key: 'resilience.timeoutMs', config: { resilience: { timeoutMs: Infinity } } },
  { name: 'number as a string in a file', key: 'modelCache.max', files: { 'bad.json': { modelCache: { max: '16' } } } },
  { name: 'fractional message limit', key: 'limits.maxMessages', config: { limits: { maxMessages: 2.5 } } },
  { name: 'zero failure threshold', key: 'resilience.circuitBreaker.failureThreshold', config: { resilience: { circuitBreaker: { failureThreshold: 0 } } } },
  { name: 'negative cooldown', key: 'resilience.circuitBreaker.cooldownMs', config: { resilience: { circuitBreaker: { cooldownMs: -5 } } } },
  { name: 'backoff cap below its base', key: 'resilience.retryMaxDelayMs', config: { resilience: { retryBaseDelayMs: 1000, retryMaxDelayMs: 10 } } },
  { name: 'zero concurrency', key: 'resilience.maxConcurrency', config: { resilience: { maxConcurrency: 0 } } },
  { name: 'negative idle timeout', key: 'resilience.idleChunkTimeoutMs', config: { resilience: { idleChunkTimeoutMs: -100 } } },
  { name: 'port above 65535', key: 'server.port', config: { server: { port: 70000 } } },
  { name: 'port that is no number in SWITCHBOARD_PORT', key: 'server.port', env: { SWITCHBOARD_PORT: '80eighty' } },
  // Enums and booleans
  { name: 'unknown log level', key: 'telemetry.logLevel', config: { telemetry: { logLevel: 'verbose' } } },
  { name: 'unknown cache store', key: 'responseCache.store', config: { responseCache: { store: 'disk' } } },
  { name: 'not a boolean in SWITCHBOARD_CAPTURE_CONTENT', key: 'telemetry.captureContent', env: { SWITCHBOARD_CAPTURE_CONTENT: 'maybe' } },
  { name: 'redis response cache without redis.url', key: 'responseCache.store', config: { responseCache: { enabled: true, store: 'redis' } } },
  // Unknown keys
  { name: 'unknown top-level key', key: 'provider', config: { provider: {} } },
  { name: 'unknown key three levels down', key: 'resilience.circuitBreaker.threshold', config: { resilience: { circuitBreaker: { threshold: 3 } } } },
  { name: 'unknown key in a bot', key: 'bots.b.temperature', config: bot({ temperature: 0.5 }) },
  { name: 'unknown call parameter', key: 'bots.b.params.temprature', config: bot({ params: { temprature: 0.5 } }) },
  { name: 'unknown key in a file', key: 'telemetry.metrics.exporterr', files: { 'bad.json': { telemetry: { metrics: { exporterr: 'otlp' } } } } },
  // Bots, fallbacks and adapters
  { name: 'fallback repeating the primary (cycle)', key: 'bots.b.fallbacks[0]', config: bot({ fallbacks: ['openai:gpt-ok'] }) },
  { name: 'fallbacks repeating each other', key: 'bots.b.fallbacks[1]', config: bot({ fallbacks: ['anthropic:claude-x', 'anthropic:claude-x'] }) },
  { name: 'unknown provider in a bot model', key: 'bots.b.model', config: { bots: { b: { model: 'opneai:gpt-4o' } } } },
  { name: 'model without provider', key: 'bots.b.model', config: { bots: { b: { model: 'gpt-4o' } } } },
  { name: 'a key pasted as a bot model', key: 'bots.b.model', config: { bots: { b: { model: CANARY_ANTHROPIC } } } },
  { name: 'temperature out of range', key: 'bots.b.params.temperature', config: bot({ params: { temperature: 3 } }) },
  { name: 'zero maxTokens', key: 'bots.b.params.maxTokens', config: bot({ params: { maxTokens: 0 } }) },
  { name: 'negative budget', key: 'bots.b.budget.usdPerDay', config: bot({ budget: { usdPerDay: -5 } }) },
  { name: 'unknown adapter in a bot', key: 'bots.b.adapters[0].name', config: bot({ adapters: [{ name: 'no-such-adapter' }] }) },
  { name: 'adapter with options it does not know', key: 'bots.b.adapters[0].options', config: bot({ adapters: [{ name: 'prefix-suffix', options: { prefix: 'a', colour: 'red' } }] }) },
  // Prototype keys
  { name: '__proto__ at the top of config', key: '__proto__', config: parsed('{"__proto__": {"polluted": "yes"}}') },
  { name: '__proto__ inside a provider', key: 'providers.openai.__proto__', config: parsed('{"providers": {"openai": {"__proto__": {"polluted": "yes"}}}}') },
  { name: 'constructor.prototype inside bot params', key: 'bots.b.params.constructor', config: parsed('{"bots": {"b": {"model": "openai:gpt-ok", "params": {"constructor": {"prototype": {"polluted": "yes"}}}}}}') },
  { name: '__proto__ in a bot in a file', key: 'bots.x.__proto__', files: { 'bad.json': '{"bots": {"x": {"model": "openai:gpt-ok", "__proto__": {"polluted": "yes"}}}}' } },
  { name: '__proto__ in adapter options in a file', key: 'bots.x.adapters[0].options.__proto__', files: { 'bad.json': '{"bots": {"x": {"model": "openai:gpt-ok", "adapters": [{"name": "prefix-suffix", "options": {"__proto__": {"polluted": "yes"}}}]}}}' } },
  // Files
  { name: 'unparseable file holding a key', key: 'configFile', files: { 'bad.json': `{"providers": {"openai": {"apiKey": "${CANARY}"}} oops}` } },
  { name: 'file holding an array', key: 'configFile', files: { 'bad.json': '[1, 2]' } },
];

describe('reliability: bad configs through createSwitchboard', () => {
  let servers: ChaosServers;
  const temp = new TempConfigDir();
  let base: Record<string, unknown>;
  let cwd: string;

  beforeAll(async () => {
    servers = await startChaosServers({ openai: CANARY, anthropic: CANARY_ANTHROPIC });
    // A good base config: real keys, live fake servers, a working bot. Each case breaks one thing.
    base = {
      providers: { openai: { apiKey: CANARY, baseURL: servers.openai.baseURL }, anthropic: { apiKey: CANARY_ANTHROPIC, baseURL: servers.anthropic.url } },
      models: {},
      bots: { ok: { model: 'openai:gpt-ok', fallbacks: ['anthropic:claude-ok'] } },
    };
    cwd = await temp.create({ 'base.json': base });
  });

  afterAll(async () => {
    await temp.cleanup();
    await servers?.close();
  });

  async function build(testCase: BadConfig): Promise<unknown> {
    const dir = testCase.files ? await temp.create({ 'base.json': base, ...testCase.files }) : cwd;
    const switchboard = await createSwitchboard({
      cwd: dir,
      env: testCase.env ?? {},
      configFile: ['base.json', ...Object.keys(testCase.files ?? {})],
      config: testCase.config as never,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    await switchboard.close();
    return switchboard;
  }

  it('the base config is good: it builds and answers (so each case fails for its own mistake)', async () => {
    const switchboard = await createSwitchboard({ cwd, env: {}, configFile: 'base.json', logger: { debug() {}, info() {}, warn() {}, error() {} } });
    try {
      expect((await switchboard.chat({ bot: 'ok', messages: [{ role: 'user', content: 'ping' }] })).text).toBe('echo: ping');
    } finally {
      await switchboard.close();
      servers.openai.reset();
    }
  });

  it(`covers at least 40 kinds of bad config (${CASES.length})`, () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('bad config "%s" -> ConfigError naming the key path, no secret, 0 upstream calls, no pollution', async (_name, testCase) => {
    const error = await build(testCase).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((problem) => problem.key)).toContain(testCase.key);
    const shown = exposedText(error);
    expect(leakedPieces(shown, CANARY)).toEqual([]);
    expect(leakedPieces(shown, CANARY_ANTHROPIC)).toEqual([]);
    expect(servers.totalRequests()).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['whitespace-only', ' \n\t \r\n'],
    ['byte-order-mark-only', '\ufeff\n'],
  ])('an empty or whitespace-only config file (%s) -> ConfigError naming the file, before any call', async (_kind, text) => {
    const dir = await temp.create({ 'base.json': base, 'blank-layer.json': text, 'config/default.json': text });
    const fail = (options: { configFile?: string[]; env?: Record<string, string> }) =>
      createSwitchboard({ cwd: dir, env: options.env ?? {}, configFile: options.configFile, logger: { debug() {}, info() {}, warn() {}, error() {} } }).then(
        async (switchboard) => {
          await switchboard.close();
          return undefined;
        },
        (thrown: unknown) => thrown,
      );
    // Named by configFile, by SWITCHBOARD_CONFIG, and as the default config/default.json (optional, but present).
    for (const [error, key, file] of [
      [await fail({ configFile: ['base.json', 'blank-layer.json'] }), 'configFile', 'blank-layer.json'],
      [await fail({ env: { SWITCHBOARD_CONFIG: 'blank-layer.json' } }), 'SWITCHBOARD_CONFIG', 'blank-layer.json'],
      [await fail({}), 'configFile', 'config/default.json'],
    ] as const) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([{ key, message: expect.stringContaining(`"${file}" is empty or only whitespace`) }]);
      expect(leakedPieces(exposedText(error), CANARY)).toEqual([]);
    }
    expect(servers.totalRequests()).toBe(0);
  });

  // Known gap, reported to the lead: the managers' own checks (BaseLLMManager.validateConfig, e.g.
  // "apiKey contains whitespace" in hosted-endpoint.ts) never run at start-up, so a key pasted with
  // a line break inside is accepted and every call then fails with a ProviderError about an invalid
  // header. (A trailing newline is harmless: fetch trims header values.) Flip to `it` once
  // createSwitchboard reports manager problems as a ConfigError.
  it('bad config "key with a line break inside" -> ConfigError at providers.anthropic.apiKey before any call', async () => {
    const pasted = `${CANARY_ANTHROPIC.slice(0, 20)}\n${CANARY_ANTHROPIC.slice(20)}`;
    const error = await build({ name: 'key with a line break inside', key: 'providers.anthropic.apiKey', config: { providers: { anthropic: { apiKey: pasted } } } }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.key)).toContain('providers.anthropic.apiKey');
    expect(leakedPieces(exposedText(error), CANARY_ANTHROPIC)).toEqual([]);
  });
});
