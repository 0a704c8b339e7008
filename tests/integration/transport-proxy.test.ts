/**
 * HTTP proxies: a local CONNECT proxy (tests/helpers/connect-proxy.ts) between the real openai SDK
 * and its upstream, chosen from config (`transport.proxy`, credentials in the URL), or from the
 * environment the transport was made with (HTTPS_PROXY / HTTP_PROXY, NO_PROXY), never from a
 * request; `none` ignores the environment. HTTPS targets tunnel end to end (the proxy sees only
 * bytes: the CA still comes from config).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSwitchboard, silentLogger } from '../../src/index.js';
import { PooledTransport } from '../../src/transport/transport.js';
import type { TransportConfig } from '../../src/transport/transport-settings.js';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { tlsFixtures } from '../helpers/tls-fixtures.js';
import { startTlsOpenAIServer, TLS_ANSWER_CHUNKS, type TlsOpenAIServer } from '../helpers/tls-openai-server.js';

const KEY = 'sk-proxy-test-000000000000000';
const fixtures = tlsFixtures();
let proxy: ConnectProxy;
let plain: FakeOpenAIServer;
let secure: TlsOpenAIServer | undefined;

beforeAll(async () => {
  proxy = await startConnectProxy();
  plain = await FakeOpenAIServer.start();
  if (fixtures) secure = await startTlsOpenAIServer({ key: fixtures.serverKey, cert: fixtures.serverCert });
});
afterAll(async () => {
  await proxy.close();
  await plain.close();
  await secure?.close();
  fixtures?.remove();
});

/** One chat through the raw openai SDK on a client of `transport`; resolves with the text. */
async function chatThrough(transport: PooledTransport, baseURL: string, settings?: TransportConfig): Promise<string> {
  const client = transport.client({ provider: 'openai' }, settings);
  try {
    const sdk = new OpenAI({ apiKey: KEY, baseURL, fetch: client.fetch, maxRetries: 0 });
    const completion = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    return completion.choices[0]?.message.content ?? '';
  } finally {
    await client.close();
    await transport.close();
  }
}

const host = (url: string) => new URL(url).host;

describe('a proxy from config', () => {
  it('tunnels a switchboard call to a plain-http upstream, with the credentials in its URL', async () => {
    plain.script('gpt-4o-mini', { text: 'via the proxy' });
    const before = proxy.tunnels.length;
    const withCredentials = proxy.url.replace('http://', 'http://alice:s3cret@');
    const sb = await createSwitchboard({
      env: {},
      logger: silentLogger,
      config: { telemetry: { logLevel: 'silent' }, providers: { openai: { apiKey: KEY, baseURL: plain.baseURL, transport: { proxy: withCredentials } } } },
    });
    try {
      expect((await sb.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).text).toBe('via the proxy');
    } finally {
      await sb.close();
    }
    expect(proxy.tunnels.slice(before)).toEqual([host(plain.baseURL)]);
    expect(proxy.authorizations.at(-1)).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  });

  it('is bypassed for its noProxy hosts, and "none" ignores the environment', async () => {
    const before = proxy.tunnels.length;
    plain.script('gpt-4o-mini', { text: 'direct' });
    expect(await chatThrough(new PooledTransport({ env: {} }), plain.baseURL, { proxy: proxy.url, noProxy: '127.0.0.1' })).toBe('direct');
    plain.script('gpt-4o-mini', { text: 'direct again' });
    expect(await chatThrough(new PooledTransport({ env: { HTTP_PROXY: proxy.url } }), plain.baseURL, { proxy: 'none' })).toBe('direct again');
    expect(proxy.tunnels.length).toBe(before);
  });
});

describe('a proxy from the environment', () => {
  it('HTTP_PROXY serves http upstreams; NO_PROXY keeps hosts off it', async () => {
    const before = proxy.tunnels.length;
    plain.script('gpt-4o-mini', { text: 'env proxy' });
    expect(await chatThrough(new PooledTransport({ env: { HTTP_PROXY: proxy.url } }), plain.baseURL)).toBe('env proxy');
    expect(proxy.tunnels.slice(before)).toEqual([host(plain.baseURL)]);
    plain.script('gpt-4o-mini', { text: 'bypassed' });
    expect(await chatThrough(new PooledTransport({ env: { http_proxy: proxy.url, NO_PROXY: 'example.com, 127.0.0.1' } }), plain.baseURL)).toBe('bypassed');
    expect(proxy.tunnels.length).toBe(before + 1);
  });

  (fixtures ? it : it.skip)('HTTPS_PROXY tunnels TLS end to end (the CA from config still applies)', async () => {
    const before = proxy.tunnels.length;
    const text = await chatThrough(new PooledTransport({ env: { HTTPS_PROXY: proxy.url } }), secure!.baseURL, { ca: fixtures!.caCert });
    expect(text).toBe(TLS_ANSWER_CHUNKS.join(''));
    expect(proxy.tunnels.slice(before)).toEqual([host(secure!.baseURL)]);
  });
});
