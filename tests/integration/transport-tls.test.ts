/**
 * The transport over TLS, through createSwitchboard and the real openai SDK: a server whose
 * certificate a CA of the test's own signed (tests/helpers/tls-fixtures.ts) is refused until that CA
 * is in `providers.openai.transport.ca` (PEM text or a file path); HTTP/2 is used when `allowH2` is
 * on and the server offers it, HTTP/1.1 otherwise. Skips where `openssl` is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSwitchboard, silentLogger, type StreamPart, type Switchboard } from '../../src/index.js';
import type { TransportConfig } from '../../src/transport/transport-settings.js';
import { tlsFixtures, type TlsFixtures } from '../helpers/tls-fixtures.js';
import { startTlsOpenAIServer, TLS_ANSWER_CHUNKS, type TlsOpenAIServer } from '../helpers/tls-openai-server.js';

const fixtures: TlsFixtures | undefined = tlsFixtures();
const describeTls = fixtures ? describe : describe.skip;
const ANSWER = TLS_ANSWER_CHUNKS.join('');
const KEY = 'sk-tls-test-0000000000000000';

async function switchboardFor(baseURL: string, transport: TransportConfig | undefined): Promise<Switchboard> {
  return createSwitchboard({
    env: {},
    logger: silentLogger,
    config: {
      telemetry: { logLevel: 'silent' },
      resilience: { maxRetries: 0 },
      providers: { openai: { apiKey: KEY, baseURL, transport } },
    },
  });
}

async function streamed(sb: Switchboard): Promise<string> {
  let text = '';
  for await (const part of sb.stream({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) as AsyncIterable<StreamPart>) {
    if (part.type === 'text-delta') text += part.text;
  }
  return text;
}

describeTls('TLS with a CA from config', () => {
  let h1: TlsOpenAIServer;
  let h2: TlsOpenAIServer;

  beforeAll(async () => {
    h1 = await startTlsOpenAIServer({ key: fixtures!.serverKey, cert: fixtures!.serverCert });
    h2 = await startTlsOpenAIServer({ key: fixtures!.serverKey, cert: fixtures!.serverCert }, { h2: true });
  });
  afterAll(async () => {
    await h1?.close();
    await h2?.close();
    fixtures?.remove();
  });

  it('refuses the server without the CA (Node roots only)', async () => {
    const sb = await switchboardFor(h1.baseURL, undefined);
    try {
      await expect(sb.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow(/connection failed/);
    } finally {
      await sb.close();
    }
  });

  it('answers calls and streams with the CA as PEM text, and as a file path', async () => {
    for (const ca of [fixtures!.caCert, fixtures!.caFile]) {
      const sb = await switchboardFor(h1.baseURL, { ca });
      try {
        expect((await sb.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).text).toBe(ANSWER);
        expect(await streamed(sb)).toBe(ANSWER);
      } finally {
        await sb.close();
      }
    }
    expect(h1.versions.every((version) => version === '1.1')).toBe(true);
  });

  it('speaks HTTP/2 with allowH2 where the server offers it, HTTP/1.1 without', async () => {
    const on = await switchboardFor(h2.baseURL, { ca: fixtures!.caCert, allowH2: true });
    try {
      expect((await on.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).text).toBe(ANSWER);
      expect(await streamed(on)).toBe(ANSWER);
    } finally {
      await on.close();
    }
    expect(h2.versions).toEqual(['2.0', '2.0']);
    const off = await switchboardFor(h2.baseURL, { ca: fixtures!.caCert });
    try {
      expect((await off.chat({ model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).text).toBe(ANSWER);
    } finally {
      await off.close();
    }
    expect(h2.versions.at(-1)).toBe('1.1');
  });
});
