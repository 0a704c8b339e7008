/**
 * Gateway answers at the edges, all in OpenAI's error body: a body that is not JSON (415, text/plain
 * included, which fastify would otherwise parse), `GET /v1/models/{id}` for a model nobody lists
 * (404 model_not_found, even on a hosted provider that could still be called with it), and requests
 * Node's HTTP parser rejects before any route runs (400 malformed, 431 headers too large), sent over
 * a raw socket because no HTTP client will send them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import OpenAI from 'openai';
import { silentLogger } from '../../src/core/logger.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { FakeProvider } from '../../src/testing/index.js';

const KEY = 'gw-edges-Vq7Kx2Mr9Lt4Wz8';

/** Write raw bytes, read until the server closes: status line, headers and body as text. */
function rawExchange(gw: Gateway, bytes: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(gw.port, '127.0.0.1');
    const parts: Buffer[] = [];
    socket.on('data', (part) => parts.push(part));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error('no HTTP answer before the connection closed'));
      const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
    socket.write(bytes);
  });
}

describe('gateway edge errors in OpenAI shape', () => {
  const fake = new FakeProvider();
  let gw: Gateway;
  let client: OpenAI;

  beforeAll(async () => {
    gw = await startGateway({
      config: { resilience: { maxRetries: 0 }, server: { apiKeys: [{ key: KEY, tenant: 't' }] }, providers: { openai: { apiKey: 'sk-edges-not-used-5Hq8Lw2' } } },
      env: { NODE_ENV: 'test' },
      managers: [fake],
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
    });
    client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it.each([
    ['text/plain', '{"model":"fake:x","messages":[{"role":"user","content":"hi"}]}'],
    ['text/plain; charset=utf-8', 'hello'],
    ['application/x-www-form-urlencoded', 'model=fake:x'],
    ['application/xml', '<model>fake:x</model>'],
  ])('a %s body gets 415 in OpenAI shape and no call', async (type, body) => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': type }, body });
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.json()).toEqual({
      error: { message: 'Send the request body as JSON with the header Content-Type: application/json', type: 'invalid_request_error', code: 'unsupported_media_type', param: null },
    });
    expect(fake.calls).toHaveLength(0);
  });

  it('an unknown URL is 404 unknown_url listing every route, without repeating the path', async () => {
    const response = await fetch(`${gw.url}/v1/sk-path-secret-9Xq2Lm7Kw4/answers?x=1`, { headers: { authorization: `Bearer ${KEY}` } });
    const body = (await response.json()) as { error: { message: string; code: string; type: string } };
    expect([response.status, body.error.type, body.error.code]).toEqual([404, 'invalid_request_error', 'unknown_url']);
    for (const route of ['/v1/chat/completions', '/v1/responses', '/v1/messages', '/v1/messages/count_tokens', '/v1/embeddings', '/v1/models/{id}', '/metrics']) expect(body.error.message).toContain(route);
    expect(body.error.message).not.toContain('sk-path');
  });

  it('GET /v1/models/{id} is 404 model_not_found for a model nobody lists, and answers listed ones', async () => {
    for (const id of ['openai:gpt-no-such-qx7', 'fake:never-listed-qx7', 'gpt-4o-mini-qx7', 'nobody-qx7:model-qx7', 'bot:nobody']) {
      const missing = await client.models.retrieve(id).catch((error: unknown) => error);
      expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
      expect(missing).toMatchObject({ status: 404, code: 'model_not_found', type: 'invalid_request_error' });
      // The message names no part of what was asked for.
      if (!id.startsWith('bot:')) expect((missing as Error).message).not.toContain('qx7');
    }
    const listed = await client.models.retrieve('openai:gpt-4o-mini');
    expect(listed).toMatchObject({ id: 'openai:gpt-4o-mini', object: 'model', owned_by: 'openai' });
    const fromList = (await client.models.list()).data.find((model) => model.id === 'openai:gpt-4o-mini');
    expect(listed).toEqual(fromList);
  });

  it.each([
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['a header name with a space', 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n'],
    ['a chunked body with a broken chunk size', 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
  ])('%s gets 400 in OpenAI shape, as JSON, and the connection closes', async (_name, bytes) => {
    const answer = await rawExchange(gw, bytes);
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(answer.headers.connection).toBe('close');
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    expect(JSON.parse(answer.body)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', code: 'malformed_request', param: null } });
  });

  it('headers over the size limit get 431 in OpenAI shape, without echoing them', async () => {
    const marker = 'Zq'.repeat(12_000);
    const answer = await rawExchange(gw, `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nX-Padding: ${marker}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(JSON.parse(answer.body)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', code: 'request_header_fields_too_large', param: null } });
    expect(answer.body).not.toContain('ZqZq');
    expect(answer.body).not.toContain(KEY);
    // The gateway is still healthy afterwards.
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
