/**
 * Gateway life cycle and safety: graceful close drains an in-flight stream, the drain timeout aborts
 * what outlives it, an unauthenticated gateway stays on loopback, a caller's own switchboard is left
 * open, `switchboard serve` starts and stops on its signal, and no gateway or upstream key appears in
 * any response or log line (real `openai` SDK upstream against the fake OpenAI server).
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Command } from 'commander';
import OpenAI from 'openai';
import type { CliOutput } from '../../src/cli/cli-io.js';
import { registerServeCommand } from '../../src/cli/commands/serve.js';
import { createSwitchboard } from '../../src/create-switchboard.js';
import { ConfigError, InvalidRequestError } from '../../src/core/errors.js';
import { createConsoleLogger, silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';
import { FakeOpenAIServer } from '../helpers/fake-openai-server.js';
import { leakedPieces } from '../helpers/secret-scan.js';

const KEY = 'gw-life-Pw73Nc10Xr58Tj';
const env = { NODE_ENV: 'test' };

function collector(): CliOutput & { text(): string } {
  const writes: string[] = [];
  return { write: (text: string) => writes.push(text), text: () => writes.join('') };
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A GET with headers fetch will not send (Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

async function gatewayWith(fake: FakeProvider, extra: { drainTimeoutMs?: number } = {}): Promise<{ gw: Gateway; client: OpenAI }> {
  const gw = await startGateway({ config: { resilience: { maxRetries: 0 }, server: { apiKeys: [{ key: KEY, tenant: 'life' }] } }, env, managers: [fake], host: '127.0.0.1', port: 0, logger: silentLogger, ...extra });
  return { gw, client: new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 }) };
}

describe('gateway shutdown', () => {
  it('lets an in-flight stream finish, then stops accepting and closes its switchboard', async () => {
    const fake = new FakeProvider();
    const { gw, client } = await gatewayWith(fake);
    fake.reply('fake:slow', { chunks: ['a ', 'b ', 'c ', 'd ', 'e'], chunkDelayMs: 60 });
    const stream = await client.chat.completions.create({ model: 'fake:slow', messages: [{ role: 'user', content: 'x' }], stream: true });
    let text = '';
    let closing: Promise<void> | undefined;
    let refusedWhileDraining = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text === 'a ') closing = gw.close();
      if (text === 'a b ') refusedWhileDraining = await fetch(`${gw.url}/healthz`).then(() => false, () => true);
    }
    expect(text).toBe('a b c d e');
    expect(refusedWhileDraining).toBe(true);
    await closing;
    await expect(gw.switchboard.chat({ model: 'fake:x', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('aborts a stream that outlives the drain timeout with an error event', async () => {
    const fake = new FakeProvider();
    const { gw, client } = await gatewayWith(fake, { drainTimeoutMs: 100 });
    fake.reply('fake:endless', { chunks: Array.from({ length: 40 }, (_, index) => `w${index} `), chunkDelayMs: 200 });
    const stream = await client.chat.completions.create({ model: 'fake:endless', messages: [{ role: 'user', content: 'x' }], stream: true });
    let closing: Promise<void> | undefined;
    const started = Date.now();
    const failure = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content && !closing) closing = gw.close();
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(failure).toMatchObject({ code: 'shutting_down' });
    await closing;
    // Generous: drain 100 ms + abort grace, far below the 8 s the stream would take.
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('answers a JSON call that outlives the drain timeout with 503 shutting_down, not a client-closed status', async () => {
    const fake = new FakeProvider();
    const { gw, client } = await gatewayWith(fake, { drainTimeoutMs: 100 });
    fake.reply('fake:slow-json', { text: 'late', delayMs: 3000 });
    const call = client.chat.completions.create({ model: 'fake:slow-json', messages: [{ role: 'user', content: 'x' }] }).catch((error: unknown) => error);
    await until(() => gw.switchboard.stats().active === 1);
    const closing = gw.close();
    const failure = await call;
    await closing;
    // 503 tells an OpenAI client to send the request again; 499 is a status it cannot act on.
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    expect(failure).toMatchObject({ status: 503, code: 'shutting_down' });
  });
});

describe('gateway binding and ownership', () => {
  it('refuses an unauthenticated gateway on a non-loopback address', async () => {
    const attempt = startGateway({ config: { server: { apiKeys: [] } }, env, managers: [new FakeProvider()], host: '0.0.0.0', port: 0, logger: silentLogger });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({ problems: [{ key: 'server.host', message: expect.stringContaining('server.apiKeys') }] });
  });

  it('serves loopback without keys, and warns that it is unauthenticated', async () => {
    const lines: string[] = [];
    const gw = await startGateway({ config: { server: { apiKeys: [] } }, env, managers: [new FakeProvider()], host: '127.0.0.1', port: 0, logger: createConsoleLogger('info', (line) => lines.push(line)) });
    try {
      expect(gw.authenticated).toBe(false);
      expect(lines.some((line) => line.includes('"level":"warn"') && line.includes('WITHOUT authentication'))).toBe(true);
      const response = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fake:echo', messages: [{ role: 'user', content: 'open door' }] }) });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('open door');
      // A page whose domain was rebound to 127.0.0.1 sends its own Host: refused.
      const rebound = await rawGet(`${gw.url}/v1/models`, { host: 'attacker.example' });
      expect(rebound.status).toBe(403);
      expect(JSON.parse(rebound.body)).toMatchObject({ error: { type: 'permission_error', code: 'host_not_allowed' } });
      expect((await rawGet(`${gw.url}/v1/models`, { host: 'localhost:1234' })).status).toBe(200);
      // The only bot (config/default.json's support) runs on providers without keys here.
      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ready: false, reason: 'no bot has a model on a ready provider', bots: [{ name: 'support', ready: false }] });
    } finally {
      await gw.close();
    }
  });

  it('leaves a switchboard it was given open, and refuses options that would build another', async () => {
    const sb = await createSwitchboard({ config: { server: { apiKeys: [{ key: KEY, tenant: 'own' }] } }, env, managers: [new FakeProvider()], logger: silentLogger });
    await expect(startGateway({ switchboard: sb, managers: [new FakeProvider()] })).rejects.toBeInstanceOf(InvalidRequestError);
    const gw = await startGateway({ switchboard: sb, host: '127.0.0.1', port: 0, logger: silentLogger });
    const client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await client.chat.completions.create({ model: 'fake:echo', messages: [{ role: 'user', content: 'mine' }] })).choices[0]!.message.content).toBe('mine');
    await gw.close();
    expect((await sb.chat({ model: 'fake:echo', messages: [{ role: 'user', content: 'still open' }] })).text).toBe('still open');
    await sb.close();
  });
});

describe('switchboard serve', () => {
  it('starts the gateway, prints its URL and the warning, and stops on the abort signal', async () => {
    const stdout = collector();
    const stderr = collector();
    const controller = new AbortController();
    const fake = new FakeProvider();
    const program = new Command('switchboard').exitOverride();
    let code: number | undefined;
    registerServeCommand(program, { stdout, stderr, env, cwd: process.cwd(), signal: controller.signal, switchboard: { managers: [fake], logger: silentLogger } }, (exit) => {
      code = exit;
    });
    const running = program.parseAsync(['serve', '--host', '127.0.0.1', '--port', '0'], { from: 'user' });
    await until(() => stdout.text().includes('listening on'));
    const url = /listening on (http:\/\/\S+)/.exec(stdout.text())![1]!;
    expect(stdout.text()).toContain(`(OpenAI base URL: ${url}/v1)`);
    expect(stderr.text()).toContain('warning: server.apiKeys is empty');
    const client = new OpenAI({ apiKey: 'unused-when-no-keys', baseURL: `${url}/v1`, maxRetries: 0 });
    expect((await client.chat.completions.create({ model: 'fake:echo', messages: [{ role: 'user', content: 'served' }] })).choices[0]!.message.content).toBe('served');
    controller.abort();
    await running;
    expect(code).toBe(0);
    expect(stderr.text()).toContain('draining in-flight requests');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('secrets', () => {
  const UPSTREAM_KEY = 'sk-Cq7Vn2Lw9Hx4Rb6Tz1Mk8Jd3';
  const WRONG_UPSTREAM_KEY = 'sk-Wy5Fp8Gs2Kc7Nq4Xv9Bh1Ld6';
  const GATEWAY_KEY = 'gw-Ta3Ue8Ri1Yo6Pw4Qs9Zm2Xn7';
  const upstreamSecrets = [UPSTREAM_KEY, WRONG_UPSTREAM_KEY, GATEWAY_KEY];
  const lines: string[] = [];
  let server: FakeOpenAIServer;
  let gw: Gateway;

  beforeAll(async () => {
    server = await FakeOpenAIServer.start({ apiKey: UPSTREAM_KEY });
    gw = await startGateway({
      config: {
        resilience: { maxRetries: 0 },
        providers: { openai: { apiKey: UPSTREAM_KEY, baseURL: server.baseURL }, openaiCompatible: { rejected: { baseURL: server.baseURL, apiKey: WRONG_UPSTREAM_KEY } } },
        bots: { real: { model: 'openai:gpt-4o-mini' } },
        server: { apiKeys: [{ key: GATEWAY_KEY, tenant: 'sec' }] },
      },
      env,
      host: '127.0.0.1',
      port: 0,
      logger: createConsoleLogger('debug', (line) => lines.push(line)),
    });
  });
  afterAll(async () => {
    await gw.close();
    await server.close();
  });

  it('keeps every key out of every response body, header and log line', async () => {
    const exposed: string[] = [];
    const call = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${gw.url}${path}`, init);
      exposed.push(JSON.stringify([...response.headers.entries()]), await response.text());
      return response.status;
    };
    const post = (body: unknown, key = GATEWAY_KEY) => ({ method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const messages = [{ role: 'user', content: 'hello upstream' }];
    expect(await call('/v1/chat/completions', post({ model: 'openai:gpt-4o-mini', messages }))).toBe(200);
    expect(await call('/v1/chat/completions', post({ model: 'bot:real', messages, stream: true, stream_options: { include_usage: true } }))).toBe(200);
    expect(await call('/v1/chat/completions', post({ model: 'rejected:gpt-4o-mini', messages }))).toBe(502);
    expect(await call('/v1/completions', post({ model: 'rejected:gpt-4o-mini', prompt: 'x', stream: true }))).toBe(502);
    // A body naming an upstream is refused (unknown fields are 400), and never reaches one.
    expect(await call('/v1/chat/completions', post({ model: 'openai:gpt-4o-mini', messages, base_url: 'http://127.0.0.1:1/v1', api_base: 'http://127.0.0.1:1' }))).toBe(400);
    expect(await call('/v1/chat/completions', post({ model: 'openai:gpt-4o-mini', messages }, `${GATEWAY_KEY}x`))).toBe(401);
    expect(await call('/v1/models', { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })).toBe(200);
    expect(await call('/readyz')).toBe(200);
    expect(await call('/metrics')).toBe(200);
    // Every upstream request carried the configured key, never anything from the client.
    expect(server.requests.every((request) => request.path.startsWith('/v1/') && !JSON.stringify(request.body).includes('base_url'))).toBe(true);
    expect(lines.some((line) => line.includes('upstream_authentication_failed'))).toBe(true);
    const everything = [...exposed, ...lines].join('\n');
    for (const secret of upstreamSecrets) expect(leakedPieces(everything, secret)).toEqual([]);
  });
});
