/**
 * The transport's settings: defaults, layers resolved key by key (a provider's, then a deployment's),
 * the one table of checks as config reports it (`providers.<p>.transport`, map entries included),
 * proxy selection from config and from the environment, and the pool registry's bound and sharing.
 */
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../../src/core/errors.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { PoolRegistry } from '../../../src/transport/pool-registry.js';
import { proxyEnvironmentOf, proxyFor, NO_PROXY_ENVIRONMENT } from '../../../src/transport/proxy-selection.js';
import { checkTransportConfig, DEFAULT_TRANSPORT_SETTINGS, resolveTransportSettings, settingsKey } from '../../../src/transport/transport-settings.js';

async function problemsOf(config: Record<string, unknown>): Promise<Array<{ key: string; message: string }>> {
  try {
    await loadConfig({ configFile: [], env: {}, config: config as never });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('settings', () => {
  it('resolves the defaults, then each layer key by key', () => {
    expect(resolveTransportSettings()).toEqual(DEFAULT_TRANSPORT_SETTINGS);
    const provider = { connections: 8, proxy: 'http://proxy.internal:3128' };
    const deployment = { connections: 2, allowH2: true };
    expect(resolveTransportSettings(provider, deployment)).toEqual({ ...DEFAULT_TRANSPORT_SETTINGS, connections: 2, allowH2: true, proxy: 'http://proxy.internal:3128' });
    expect(resolveTransportSettings(provider, undefined, { connections: undefined })).toMatchObject({ connections: 8 });
    expect(settingsKey(resolveTransportSettings(provider))).not.toBe(settingsKey(resolveTransportSettings()));
  });

  it('checks every key with one rule each, naming the key', () => {
    expect(checkTransportConfig(undefined)).toBeUndefined();
    expect(checkTransportConfig({ connections: 4, allowH2: false, proxy: 'none', ca: '' })).toBeUndefined();
    expect(checkTransportConfig('fast')).toMatch(/must be an object/);
    expect(checkTransportConfig({ conections: 4 })).toBe('conections: unknown key; did you mean "connections"?');
    expect(checkTransportConfig({ connections: 0 })).toMatch(/^connections: must be a whole number/);
    expect(checkTransportConfig({ proxy: 'socks5://x:1080' })).toMatch(/^proxy: must be/);
    expect(checkTransportConfig({ acceptEncoding: 'gzip\r\nx: y' })).toMatch(/^acceptEncoding:/);
  });

  it('is a key of every hosted provider section, map entries included, checked at load time', async () => {
    const config = await loadConfig({
      configFile: [],
      env: {},
      config: { providers: { openai: { transport: { connections: 4 } }, openaiCompatible: { vllm: { baseURL: 'http://127.0.0.1:8000/v1', apiKey: '', transport: { allowH2: true } } } } } as never,
    });
    expect(config.providers.openai.transport).toEqual({ connections: 4 });
    expect(config.providers.anthropic.transport).toBeUndefined();
    expect(config.providers.openaiCompatible.vllm?.transport).toEqual({ allowH2: true });
    const problems = await problemsOf({ providers: { ollama: { transport: { pipelining: 0 } }, openaiCompatible: { vllm: { baseURL: 'http://127.0.0.1:8000/v1', apiKey: '', transport: { proxy: 'ftp://x' } } } } });
    expect(problems.map((problem) => problem.key)).toEqual(['providers.ollama.transport', 'providers.openaiCompatible.vllm.transport']);
    expect(problems[0]!.message).toMatch(/^pipelining: must be a whole number from 1 to 100/);
  });
});

describe('proxy selection', () => {
  const env = proxyEnvironmentOf({ HTTPS_PROXY: 'http://secure-proxy:3128', http_proxy: 'http://plain-proxy:3128', HTTP_PROXY: 'http://ignored:1', NO_PROXY: 'internal.example, .corp, 10.0.0.1:8443, [::1]' });
  const fromEnv = { proxy: '', noProxy: '' };

  it('reads lower-case names first; https falls back to the http proxy', () => {
    expect(env).toEqual({ httpsProxy: 'http://secure-proxy:3128', httpProxy: 'http://plain-proxy:3128', noProxy: 'internal.example, .corp, 10.0.0.1:8443, [::1]' });
    expect(proxyFor('https://api.openai.com', fromEnv, env)).toBe('http://secure-proxy:3128');
    expect(proxyFor('http://vllm.lan:8000', fromEnv, env)).toBe('http://plain-proxy:3128');
    expect(proxyFor('https://api.openai.com', fromEnv, proxyEnvironmentOf({ HTTP_PROXY: 'http://only-http:1' }))).toBe('http://only-http:1');
    expect(proxyFor('https://api.openai.com', fromEnv, NO_PROXY_ENVIRONMENT)).toBeUndefined();
  });

  it('keeps NO_PROXY hosts, their subdomains, ports and IPv6 literals off the proxy', () => {
    expect(proxyFor('https://internal.example', fromEnv, env)).toBeUndefined();
    expect(proxyFor('https://api.internal.example', fromEnv, env)).toBeUndefined();
    expect(proxyFor('https://notinternal.example', fromEnv, env)).toBe('http://secure-proxy:3128');
    expect(proxyFor('http://build.corp', fromEnv, env)).toBeUndefined();
    expect(proxyFor('https://10.0.0.1:8443', fromEnv, env)).toBeUndefined();
    expect(proxyFor('https://10.0.0.1', fromEnv, env)).toBe('http://secure-proxy:3128');
    expect(proxyFor('http://[::1]:11434', fromEnv, env)).toBeUndefined();
    expect(proxyFor('https://anything', fromEnv, proxyEnvironmentOf({ HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }))).toBeUndefined();
  });

  it('config first: a URL (bypassed only by its own noProxy), or "none"', () => {
    expect(proxyFor('https://internal.example', { proxy: 'http://mine:8080', noProxy: '' }, env)).toBe('http://mine:8080');
    expect(proxyFor('https://api.openai.com', { proxy: 'http://mine:8080', noProxy: 'openai.com' }, env)).toBeUndefined();
    expect(proxyFor('https://api.openai.com', { proxy: 'none', noProxy: '' }, env)).toBeUndefined();
    expect(proxyFor('https://api.openai.com', { proxy: '', noProxy: 'api.openai.com' }, env)).toBeUndefined();
  });
});

describe('the pool registry', () => {
  const closed = (dispatcher: object) => (dispatcher as { closed?: boolean }).closed;
  const spec = (origin: string) => ({ origin, proxy: undefined, settings: resolveTransportSettings(), settingsKey: 'k' });

  it('shares a pool between users of the same key and closes it when the last one leaves', async () => {
    const registry = new PoolRegistry(8);
    const [a, b] = [{}, {}];
    const first = registry.dispatcherFor('x', spec('http://127.0.0.1:1'), a);
    expect(registry.dispatcherFor('x', spec('http://127.0.0.1:1'), b)).toBe(first);
    await registry.release(a, ['x']);
    expect(registry.size).toBe(1);
    await registry.release(b, ['x']);
    expect(registry.size).toBe(0);
    expect(closed(first)).toBe(true);
  });

  it('keeps at most maxPools, closing the least recently used', async () => {
    const registry = new PoolRegistry(2);
    const user = {};
    const one = registry.dispatcherFor('1', spec('http://127.0.0.1:1'), user);
    const two = registry.dispatcherFor('2', spec('http://127.0.0.1:2'), user);
    registry.dispatcherFor('1', spec('http://127.0.0.1:1'), user);
    const three = registry.dispatcherFor('3', spec('http://127.0.0.1:3'), user);
    expect(registry.size).toBe(2);
    expect([closed(one), closed(two), closed(three)]).toEqual([false, true, false]);
    expect(registry.dispatcherFor('1', spec('http://127.0.0.1:1'), user)).toBe(one);
    await registry.close();
    expect(registry.size).toBe(0);
  });
});
