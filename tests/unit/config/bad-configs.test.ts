/**
 * RELIABILITY.md "bad configs": each kind of mistake throws one ConfigError naming the key path,
 * shows no secret (nor any 8-character piece of one), and pollutes no prototype.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, LLMError } from '../../../src/core/errors.js';
import { loadConfig, type DeepPartial, type SwitchboardConfig } from '../../../src/config/index.js';
import { secretPieces, TempConfigDir } from './temp-files.js';

const CANARY = 'sk-canary-9QmZr7TxLp3Vw8Nk2Hd5Js4Bf6Gy1Ce0';
const CANARY_PIECES = secretPieces(CANARY);

interface BadConfig {
  name: string;
  /** The key path a problem must be reported at. */
  key: string;
  /** Programmatic config (often with wrong types, as JavaScript callers can pass). */
  config?: unknown;
  /** Files written to a temp dir and passed as configFile, in order. */
  files?: Record<string, unknown>;
  /** configFile to pass instead of the written files. */
  configFile?: string;
  /** Environment on top of OPENAI_API_KEY=<canary>. */
  env?: Record<string, string>;
  /** A text the problem message must contain. */
  says?: string;
}

const bot = (fields: Record<string, unknown>) => ({ bots: { b: { model: 'openai:gpt-4o-mini', ...fields } } });
const parsed = (json: string): unknown => JSON.parse(json);

const CASES: BadConfig[] = [
  // Missing and placeholder credentials
  { name: 'placeholder YOUR_API_KEY', key: 'providers.openai.apiKey', config: { providers: { openai: { apiKey: 'YOUR_API_KEY' } } }, env: { OPENAI_API_KEY: '' }, says: 'set OPENAI_API_KEY' },
  { name: 'placeholder sk-ant-...', key: 'providers.anthropic.apiKey', config: { providers: { anthropic: { apiKey: 'sk-ant-...' } } }, says: 'set ANTHROPIC_API_KEY' },
  { name: 'placeholder <your token> from HF_TOKEN', key: 'providers.huggingface.apiKey', env: { HF_TOKEN: '<your token>' }, says: 'set HF_TOKEN' },
  { name: 'unexpanded ${...} left in a key', key: 'providers.openai.apiKey', env: { OPENAI_API_KEY: '${OPENAI_API_KEY}' } },
  { name: 'placeholder xxxxxxxx', key: 'providers.anthropic.apiKey', config: { providers: { anthropic: { apiKey: 'sk-xxxxxxxxxxxxxxxx' } } } },
  { name: 'placeholder changeme on an endpoint', key: 'providers.openaiCompatible.vllm.apiKey', config: { providers: { openaiCompatible: { vllm: { baseURL: 'http://127.0.0.1:8000/v1', apiKey: 'changeme' } } } } },
  { name: 'an api key that is not a string', key: 'providers.openai.apiKey', config: { providers: { openai: { apiKey: 12345678 } } } },
  { name: 'empty gateway key', key: 'server.apiKeys[0].key', config: { server: { apiKeys: [{ key: '', tenant: 'a' }] } } },
  { name: 'gateway key without tenant', key: 'server.apiKeys[0].tenant', config: { server: { apiKeys: [{ key: CANARY }] } } },
  { name: 'duplicate gateway keys', key: 'server.apiKeys[1].key', config: { server: { apiKeys: [{ key: CANARY, tenant: 'a' }, { key: CANARY, tenant: 'b' }] } }, says: 'server.apiKeys[0].key' },
  { name: 'gateway keys given as one string', key: 'server.apiKeys', config: { server: { apiKeys: CANARY } } },
  { name: 'a key pasted where a bot model belongs', key: 'bots.b.model', config: { bots: { b: { model: CANARY.replace('sk-', '') } } } },
  { name: 'placeholder gateway key', key: 'server.apiKeys[0].key', config: { server: { apiKeys: [{ key: 'changeme', tenant: 'a' }] } } },
  // URLs
  { name: 'baseURL that is no URL', key: 'providers.openai.baseURL', config: { providers: { openai: { baseURL: 'not a url' } } } },
  { name: 'ftp baseURL', key: 'providers.anthropic.baseURL', config: { providers: { anthropic: { baseURL: 'ftp://api.anthropic.com' } } } },
  { name: 'credentials in a baseURL', key: 'providers.openai.baseURL', config: { providers: { openai: { baseURL: `https://user:${CANARY}@api.openai.com/v1` } } }, says: 'credentials' },
  { name: 'javascript: URL from OPENAI_BASE_URL', key: 'providers.openai.baseURL', env: { OPENAI_BASE_URL: 'javascript:alert(1)' }, says: 'OPENAI_BASE_URL' },
  { name: 'endpoint URL without scheme', key: 'providers.huggingface.endpointUrl', config: { providers: { huggingface: { endpointUrl: 'localhost:8080' } } } },
  { name: 'OpenAI-compatible endpoint without baseURL', key: 'providers.openaiCompatible.vllm.baseURL', config: { providers: { openaiCompatible: { vllm: { apiKey: '' } } } } },
  { name: 'http URL for redis', key: 'redis.url', config: { redis: { url: `http://:${CANARY}@localhost:6379` } } },
  { name: 'grpc traces endpoint', key: 'telemetry.traces.endpoint', config: { telemetry: { traces: { exporter: 'otlp', endpoint: 'grpc://collector:4317' } } } },
  { name: 'empty ollama baseURL', key: 'providers.ollama.baseURL', config: { providers: { ollama: { baseURL: '' } } } },
  // Numbers
  { name: 'negative timeout', key: 'providers.openai.timeoutMs', config: { providers: { openai: { timeoutMs: -1 } } } },
  { name: 'NaN retries', key: 'resilience.maxRetries', config: { resilience: { maxRetries: NaN } } },
  { name: 'Infinity timeout', key: 'resilience.timeoutMs', config: { resilience: { timeoutMs: Infinity } } },
  { name: 'number given as a string in a file', key: 'modelCache.max', files: { 'c.json': { modelCache: { max: '16' } } } },
  { name: 'fractional count', key: 'limits.maxMessages', config: { limits: { maxMessages: 2.5 } } },
  { name: 'zero-byte cache bound', key: 'responseCache.maxBytes', config: { responseCache: { maxBytes: 0 } } },
  { name: 'negative threads', key: 'providers.llamacpp.threads', config: { providers: { llamacpp: { threads: -2 } } } },
  { name: 'zero failure threshold', key: 'resilience.circuitBreaker.failureThreshold', config: { resilience: { circuitBreaker: { failureThreshold: 0 } } } },
  { name: 'backoff cap below its base', key: 'resilience.retryMaxDelayMs', config: { resilience: { retryBaseDelayMs: 1000, retryMaxDelayMs: 10 } } },
  { name: 'absurd retry count', key: 'resilience.maxRetries', config: { resilience: { maxRetries: 1000 } } },
  { name: 'null max tokens', key: 'providers.anthropic.defaultMaxTokens', config: { providers: { anthropic: { defaultMaxTokens: null } } } },
  // Ports
  { name: 'port above 65535', key: 'server.port', config: { server: { port: 70000 } } },
  { name: 'negative port', key: 'server.port', config: { server: { port: -1 } } },
  { name: 'port that is no number in SWITCHBOARD_PORT', key: 'server.port', env: { SWITCHBOARD_PORT: '80eighty' }, says: 'SWITCHBOARD_PORT' },
  { name: 'fractional metrics port', key: 'telemetry.metrics.port', config: { telemetry: { metrics: { port: 3.5 } } } },
  // Enums
  { name: 'unknown log level', key: 'telemetry.logLevel', config: { telemetry: { logLevel: 'verbose' } } },
  { name: 'unknown log level from SWITCHBOARD_LOG_LEVEL', key: 'telemetry.logLevel', env: { SWITCHBOARD_LOG_LEVEL: 'loud' } },
  { name: 'unknown cache store', key: 'responseCache.store', config: { responseCache: { store: 'disk' } } },
  { name: 'unknown trace exporter', key: 'telemetry.traces.exporter', config: { telemetry: { traces: { exporter: 'jaeger' } } } },
  { name: 'not a boolean in SWITCHBOARD_CAPTURE_CONTENT', key: 'telemetry.captureContent', env: { SWITCHBOARD_CAPTURE_CONTENT: 'maybe' } },
  { name: 'boolean written as a string', key: 'providers.llamacpp.gpu', config: { providers: { llamacpp: { gpu: 'yes' } } } },
  { name: 'bad ollama keep-alive', key: 'providers.ollama.keepAlive', config: { providers: { ollama: { keepAlive: 'forever' } } } },
  // Unknown keys at several depths
  { name: 'unknown top-level key', key: 'provider', config: { provider: {} }, says: 'did you mean "providers"' },
  { name: 'unknown provider key (case)', key: 'providers.openai.baseUrl', config: { providers: { openai: { baseUrl: 'https://x.example' } } }, says: 'did you mean "baseURL"' },
  { name: 'misspelt key holding a secret', key: 'providers.openai.apikey', config: { providers: { openai: { apikey: CANARY } } } },
  { name: 'unknown key three levels down', key: 'resilience.circuitBreaker.threshold', config: { resilience: { circuitBreaker: { threshold: 3 } } } },
  { name: 'unknown key in a bot', key: 'bots.b.temperature', config: bot({ temperature: 0.5 }) },
  { name: 'unknown call parameter', key: 'bots.b.params.temprature', config: bot({ params: { temprature: 0.5 } }), says: 'did you mean "temperature"' },
  { name: 'unknown key in a file', key: 'telemetry.metrics.exporterr', files: { 'c.json': { telemetry: { metrics: { exporterr: 'otlp' } } } } },
  { name: 'unknown key in an endpoint', key: 'providers.openaiCompatible.vllm.baseUrl', config: { providers: { openaiCompatible: { vllm: { baseURL: 'http://127.0.0.1:1/v1', baseUrl: 'x' } } } } },
  { name: 'object where a group belongs', key: 'providers', config: { providers: 'openai' } },
  // Bots
  { name: 'fallback repeating the primary (cycle)', key: 'bots.b.fallbacks[0]', config: bot({ fallbacks: ['openai:gpt-4o-mini'] }), says: 'primary' },
  { name: 'fallbacks repeating each other', key: 'bots.b.fallbacks[1]', config: bot({ fallbacks: ['anthropic:claude-x', 'anthropic:claude-x'] }), says: 'fallbacks[0]' },
  { name: 'unknown provider in a bot model', key: 'bots.b.model', config: { bots: { b: { model: 'opneai:gpt-4o' } } }, says: 'unknown provider' },
  { name: 'unknown provider in a fallback', key: 'bots.b.fallbacks[0]', config: bot({ fallbacks: ['mistral:large'] }) },
  { name: 'model without provider', key: 'bots.b.model', config: { bots: { b: { model: 'gpt-4o' } } }, says: 'provider:model' },
  { name: 'bot without model', key: 'bots.b.model', config: { bots: { b: { system: 'hi' } } } },
  { name: 'temperature out of range', key: 'bots.b.params.temperature', config: bot({ params: { temperature: 3 } }) },
  { name: 'negative topP', key: 'bots.b.params.topP', config: bot({ params: { topP: -0.1 } }) },
  { name: 'zero maxTokens', key: 'bots.b.params.maxTokens', config: bot({ params: { maxTokens: 0 } }) },
  { name: 'adapter without a name', key: 'bots.b.adapters[0].name', config: bot({ adapters: [{ options: {} }] }) },
  { name: 'negative budget', key: 'bots.b.budget.usdPerDay', config: bot({ budget: { usdPerDay: -5 } }) },
  { name: 'bot name with a space', key: 'bots["my bot"]', config: { bots: { 'my bot': { model: 'openai:gpt-4o' } } } },
  { name: 'fallbacks as a string', key: 'bots.b.fallbacks', config: bot({ fallbacks: 'anthropic:claude-x' }) },
  // OpenAI-compatible names, stores, rate limits
  { name: 'endpoint shadowing a built-in', key: 'providers.openaiCompatible.openai', config: { providers: { openaiCompatible: { openai: { baseURL: 'http://127.0.0.1:1/v1' } } } } },
  { name: 'endpoint name with a space', key: 'providers.openaiCompatible["my endpoint"]', config: { providers: { openaiCompatible: { 'my endpoint': { baseURL: 'http://127.0.0.1:1/v1' } } } } },
  { name: 'redis response cache without redis.url', key: 'responseCache.store', config: { responseCache: { enabled: true, store: 'redis' } } },
  { name: 'redis sessions without redis.url', key: 'sessions.store', config: { sessions: { store: 'redis' } } },
  { name: 'rate limit for an unknown provider', key: 'resilience.rateLimits.nope', config: { resilience: { rateLimits: { nope: { requestsPerMinute: 10 } } } } },
  { name: 'negative rate limit', key: 'resilience.rateLimits.openai.requestsPerMinute', config: { resilience: { rateLimits: { openai: { requestsPerMinute: -1 } } } } },
  { name: 'negative local price', key: 'providers.llamacpp.pricing.tiny.inputPerMTok', config: { providers: { llamacpp: { pricing: { tiny: { inputPerMTok: -1, outputPerMTok: 0 } } } } } },
  { name: 'models that is neither path nor catalog', key: 'models', config: { models: 42 } },
  { name: 'bad price in an inline catalog', key: 'models["openai:gpt-4o"].pricing.inputPerMTok', config: { models: { 'openai:gpt-4o': { pricing: { inputPerMTok: 'cheap', outputPerMTok: 1 } } } } },
  // Prototype keys, in programmatic config and in files
  { name: '__proto__ at the top of config', key: '__proto__', config: parsed('{"__proto__": {"polluted": "yes"}}') },
  { name: '__proto__ inside a provider', key: 'providers.openai.__proto__', config: parsed('{"providers": {"openai": {"__proto__": {"polluted": "yes"}}}}') },
  { name: 'constructor inside bot params', key: 'bots.b.params.constructor', config: parsed('{"bots": {"b": {"model": "openai:gpt-4o", "params": {"constructor": {"prototype": {"polluted": "yes"}}}}}}') },
  { name: 'a bot named prototype', key: 'bots.prototype', config: parsed('{"bots": {"prototype": {"model": "openai:gpt-4o", "polluted": "yes"}}}') },
  { name: 'object literal with a __proto__ key', key: 'providers.__proto__', config: { providers: { __proto__: { polluted: 'yes' } } } },
  { name: '__proto__ at the top of a file', key: '__proto__', files: { 'c.json': '{"__proto__": {"polluted": "yes"}}' } },
  { name: '__proto__ in a bot in a file', key: 'bots.x.__proto__', files: { 'c.json': '{"bots": {"x": {"model": "openai:gpt-4o", "__proto__": {"polluted": "yes"}}}}' } },
  { name: 'constructor.prototype in a file', key: 'constructor', files: { 'c.json': '{"constructor": {"prototype": {"polluted": "yes"}}}' } },
  { name: '__proto__ in adapter options in a file', key: 'bots.x.adapters[0].options.__proto__', files: { 'c.json': '{"bots": {"x": {"model": "openai:gpt-4o", "adapters": [{"name": "a", "options": {"__proto__": {"polluted": "yes"}}}]}}}' } },
  // Files and values a JSON file cannot hold
  { name: 'missing config file', key: 'configFile', configFile: 'absent.json', says: 'not found' },
  { name: 'unparseable config file holding a key', key: 'configFile', files: { 'c.json': `{"providers": {"openai": {"apiKey": "${CANARY}"}} oops}` }, says: 'not valid JSON' },
  { name: 'SWITCHBOARD_CONFIG naming a missing file', key: 'SWITCHBOARD_CONFIG', env: { SWITCHBOARD_CONFIG: 'missing.json' } },
  { name: 'file holding an array', key: 'configFile', files: { 'c.json': '[1, 2]' } },
  { name: 'function where a string belongs', key: 'bots.b.system', config: bot({ system: () => 'hi' }) },
  { name: 'fetch that is not a function', key: 'providers.openai.fetch', config: { providers: { openai: { fetch: 'https://proxy.example' } } } },
];

const temp = new TempConfigDir();
afterAll(() => temp.cleanup());

async function run(testCase: BadConfig): Promise<unknown> {
  const env = { OPENAI_API_KEY: CANARY, ...testCase.env };
  const config = testCase.config as DeepPartial<SwitchboardConfig> | undefined;
  const cwd = await temp.create(testCase.files);
  // SWITCHBOARD_CONFIG is read only when no configFile is given.
  if (testCase.env?.SWITCHBOARD_CONFIG) return loadConfig({ cwd, config, env });
  return loadConfig({ cwd, configFile: testCase.configFile ?? Object.keys(testCase.files ?? {}), config, env });
}

describe('bad configs', () => {
  it('covers at least 45 kinds of mistakes', () => {
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(CASES.length).toBeGreaterThanOrEqual(45);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s -> ConfigError at the key path, no secret, no pollution', async (_name, testCase) => {
    const error = await run(testCase).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(LLMError.isInstance(configError)).toBe(true);
    expect(configError.name).toBe('ConfigError');
    const problem = configError.problems.find((p) => p.key === testCase.key);
    expect({ keys: configError.problems.map((p) => p.key), found: problem !== undefined }).toMatchObject({ found: true });
    if (testCase.says) expect(problem!.message).toContain(testCase.says);

    const emitted = [configError.message, JSON.stringify(configError.problems), JSON.stringify(configError.toJSON()), String(configError.stack)].join('\n');
    for (const piece of CANARY_PIECES) expect(emitted).not.toContain(piece);
    // Nothing had to be scrubbed: the messages never held a secret in the first place.
    expect(emitted).not.toContain('[REDACTED]');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});
