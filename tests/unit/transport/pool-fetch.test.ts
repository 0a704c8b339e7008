/**
 * transport/pool-fetch.ts against real servers on 127.0.0.1 (no mocks of undici): the Response it
 * builds (statuses, headers, JSON and SSE bodies, clone, every Response member), request bodies of
 * every kind the SDKs send, keep-alive and the connection bound, aborts and cancels that release the
 * socket at once (counted on the server), timeouts by small injected values, compressed answers,
 * response bounds, redirects, connection failures.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ResponseLimitError } from '../../../src/core/answer-errors.js';
import { boundResponse } from '../../../src/transport/bounded-fetch.js';
import { PooledTransport, type TransportClient } from '../../../src/transport/transport.js';
import type { TransportConfig } from '../../../src/transport/transport-settings.js';
import { FakeHttpServer, type Exchange, type ExchangeHandler } from '../../helpers/fake-http.js';

const ORIGIN = { provider: 'test' };
const transport = new PooledTransport({ env: {} });
let handler: ExchangeHandler = (exchange) => exchange.json(200, { ok: true });
let server: FakeHttpServer;

beforeAll(async () => {
  server = await FakeHttpServer.listen((exchange, request) => {
    lastSocket = exchange.req.socket;
    used.add(lastSocket);
    return handler(exchange, request);
  });
});
afterAll(async () => {
  await transport.close();
  await server.close();
});
afterEach(() => {
  handler = (exchange) => exchange.json(200, { ok: true });
  server.clearRequests();
});

const clients: TransportClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

/** A fetch over fresh pools (closed after the test). */
function poolFetch(settings?: TransportConfig): typeof fetch {
  const client = transport.client(ORIGIN, settings);
  clients.push(client);
  return client.fetch;
}

/** The server side of the connection that carried the last request, and of every request since `used.clear()`. */
let lastSocket: Socket | undefined;
const used = new Set<Socket>();

/** Resolves when the server sees `socket` close (no deadline of its own: jest's is the backstop). */
function closed(socket: Socket | undefined): Promise<void> {
  if (!socket) throw new Error('no request reached the server');
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

/** Wait until the server has received `count` requests. */
async function untilRequests(count: number): Promise<void> {
  while (server.requestCount < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('the Response', () => {
  it('is a Response with fetch-like status, headers and JSON body', async () => {
    handler = (exchange) => exchange.json(201, { hello: 'world' }, { 'x-request-id': 'req_1', 'set-cookie': 'a=1' });
    const response = await poolFetch()(`${server.url}/v1/things?x=1`, { method: 'post', body: '{}' });
    expect(response).toBeInstanceOf(Response);
    expect(response.headers).toBeInstanceOf(Headers);
    expect([response.status, response.ok, response.statusText, response.redirected, response.type]).toEqual([201, true, 'Created', false, 'basic']);
    expect(response.url).toBe(`${server.url}/v1/things?x=1`);
    expect(response.headers.get('X-Request-Id')).toBe('req_1');
    expect(response.headers.has('content-type')).toBe(true);
    expect(response.headers.get('missing')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual(['a=1']);
    expect(() => response.headers.set('x', 'y')).toThrow(TypeError);
    const names = [...response.headers.keys()];
    expect(names).toEqual([...names].sort());
    expect(Object.fromEntries(new Headers(response.headers))).toMatchObject({ 'x-request-id': 'req_1' });
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ hello: 'world' });
    expect(response.bodyUsed).toBe(true);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/things?x=1' });
  });

  it('redefines every member of Response.prototype and Headers.prototype (those would throw on it)', async () => {
    const response = await poolFetch()(`${server.url}/`);
    const own = (prototype: object, stop: object) => {
      const names = new Set<string | symbol>();
      for (let at = prototype; at && at !== stop; at = Object.getPrototypeOf(at) as object) for (const key of Reflect.ownKeys(at)) names.add(key);
      return names;
    };
    const responseMembers = own(Object.getPrototypeOf(response) as object, Response.prototype);
    for (const key of Reflect.ownKeys(Response.prototype)) if (key !== 'constructor' && key !== Symbol.toStringTag) expect(responseMembers).toContain(key);
    // Headers' public members (its symbol-keyed internals aside, Symbol.iterator included).
    const headerMembers = [...own(Object.getPrototypeOf(response.headers) as object, Headers.prototype), ...Object.keys(response.headers)];
    for (const key of [...Object.getOwnPropertyNames(Headers.prototype), Symbol.iterator]) if (key !== 'constructor') expect(headerMembers).toContain(key);
    await response.text();
  });

  it('reads text, bytes, arrayBuffer (a copy of its own) and blob', async () => {
    handler = (exchange) => exchange.text(200, 'héllo', { 'content-type': 'text/plain; charset=utf-8' });
    const fetchFn = poolFetch();
    expect(await (await fetchFn(`${server.url}/`)).text()).toBe('héllo');
    const buffer = await (await fetchFn(`${server.url}/`)).arrayBuffer();
    expect(buffer.byteLength).toBe(Buffer.byteLength('héllo'));
    const withBytes = (await fetchFn(`${server.url}/`)) as Response & { bytes(): Promise<Uint8Array> };
    expect(new TextDecoder().decode(await withBytes.bytes())).toBe('héllo');
    const blob = await (await fetchFn(`${server.url}/`)).blob();
    expect([blob.type, await blob.text()]).toEqual(['text/plain; charset=utf-8', 'héllo']);
  });

  it('has a null body for 204, 304 and HEAD, and an empty text', async () => {
    const fetchFn = poolFetch();
    handler = (exchange) => exchange.text(204, '');
    const none = await fetchFn(`${server.url}/`, { method: 'DELETE' });
    expect([none.status, none.body, await none.text()]).toEqual([204, null, '']);
    handler = (exchange) => exchange.json(200, { big: 'x'.repeat(100) });
    const head = await fetchFn(`${server.url}/`, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, null]);
  });

  it('hands error statuses over as answers, body readable', async () => {
    handler = (exchange) => exchange.json(429, { error: { message: 'slow down' } }, { 'retry-after-ms': '5' });
    const response = await poolFetch()(`${server.url}/`);
    expect([response.status, response.ok, response.statusText, response.headers.get('retry-after-ms')]).toEqual([429, false, 'Too Many Requests', '5']);
    expect(await response.json()).toEqual({ error: { message: 'slow down' } });
  });

  it('streams an SSE body chunk by chunk, through getReader and for await', async () => {
    handler = async (exchange) => {
      exchange.startSse();
      for (const word of ['a', 'b', 'c']) {
        await exchange.write(`data: ${word}\n\n`);
        await exchange.sleep(2);
      }
      exchange.end();
    };
    const fetchFn = poolFetch();
    const reader = (await fetchFn(`${server.url}/`)).body!.getReader();
    let text = '';
    for (let step = await reader.read(); !step.done; step = await reader.read()) {
      expect(step.value).toBeInstanceOf(Uint8Array);
      expect(step.value.constructor).toBe(Uint8Array);
      text += new TextDecoder().decode(step.value);
    }
    expect(text).toBe('data: a\n\ndata: b\n\ndata: c\n\n');
    let again = '';
    for await (const chunk of (await fetchFn(`${server.url}/`)).body as unknown as AsyncIterable<Uint8Array>) again += new TextDecoder().decode(chunk);
    expect(again).toBe(text);
  });

  it('clones: both sides read the whole body', async () => {
    handler = (exchange) => exchange.json(200, { n: 1 });
    const response = await poolFetch()(`${server.url}/`);
    const copy = response.clone();
    expect(await copy.json()).toEqual({ n: 1 });
    expect(await response.json()).toEqual({ n: 1 });
    expect(copy.headers.get('content-type')).toBe('application/json');
  });
});

describe('the request', () => {
  it('sends every body kind the SDKs send, with fetch content types', async () => {
    handler = (exchange, request) => exchange.json(200, { type: request.headers['content-type'] ?? null, body: request.body ?? null });
    const fetchFn = poolFetch();
    const send = async (body: RequestInit['body'], extra: RequestInit = {}) => (await (await fetchFn(`${server.url}/`, { method: 'POST', body, ...extra })).json()) as { type: string | null; body: unknown };
    expect(await send('{"a":1}', { headers: { 'Content-Type': 'application/json' } })).toEqual({ type: 'application/json', body: { a: 1 } });
    expect(await send('plain')).toEqual({ type: 'text/plain;charset=UTF-8', body: 'plain' });
    expect((await send(new TextEncoder().encode('bytes'))).body).toBe('bytes');
    expect((await send(new TextEncoder().encode('buffer').buffer)).body).toBe('buffer');
    expect(await send(new Blob(['{"b":2}'], { type: 'application/json' }))).toEqual({ type: 'application/json', body: { b: 2 } });
    expect(await send(new URLSearchParams({ q: 'x y' }))).toEqual({ type: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'q=x+y' });
    const form = new FormData();
    form.set('field', 'value');
    const multipart = await send(form);
    expect(multipart.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(String(multipart.body)).toContain('value');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('stre'));
        controller.enqueue(new TextEncoder().encode('amed'));
        controller.close();
      },
    });
    expect((await send(stream, { duplex: 'half' } as RequestInit)).body).toBe('streamed');
  });

  it('takes Headers, records and pairs; adds accept, accept-encoding and user-agent only when absent', async () => {
    handler = (exchange, request) => exchange.json(200, request.headers);
    const fetchFn = poolFetch();
    const headersOf = async (headers: RequestInit['headers']) => (await (await fetchFn(`${server.url}/`, { headers })).json()) as Record<string, string>;
    expect(await headersOf(new Headers({ 'X-One': '1' }))).toMatchObject({ 'x-one': '1', accept: '*/*', 'accept-encoding': 'identity', 'user-agent': 'llm-switchboard' });
    expect(await headersOf({ Accept: 'application/json', 'User-Agent': 'sdk/1', 'Accept-Encoding': 'gzip' })).toMatchObject({ accept: 'application/json', 'user-agent': 'sdk/1', 'accept-encoding': 'gzip' });
    expect(await headersOf([['x-two', '2']])).toMatchObject({ 'x-two': '2' });
    const gzipAsked = await (await poolFetch({ acceptEncoding: 'gzip, br' })(`${server.url}/`)).json();
    expect(gzipAsked).toMatchObject({ 'accept-encoding': 'gzip, br' });
  });

  it('refuses what fetch refuses, as rejections (never a synchronous throw)', async () => {
    const fetchFn = poolFetch();
    await expect(fetchFn(`${server.url}/`, { method: 'GET', body: 'x' })).rejects.toThrow(TypeError);
    await expect(fetchFn('ftp://127.0.0.1/x')).rejects.toThrow(TypeError);
    await expect(fetchFn('http://user:pw@127.0.0.1/x')).rejects.toThrow(/credentials/);
  });
});

describe('connections', () => {
  it('keeps connections alive across calls, and keeps to the connection bound', async () => {
    const fetchFn = poolFetch({ connections: 3 });
    used.clear();
    await (await fetchFn(`${server.url}/`)).json();
    await (await fetchFn(`${server.url}/`)).json();
    // undici may open a second connection for a request sent in the same tick the first one freed.
    const warm = used.size;
    expect(warm).toBeLessThanOrEqual(2);
    for (let index = 0; index < 10; index++) await (await fetchFn(`${server.url}/`)).json();
    expect(used.size).toBe(warm);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    handler = async (exchange) => {
      await gate;
      exchange.json(200, { ok: true });
    };
    server.clearRequests();
    const calls = Array.from({ length: 6 }, () => fetchFn(`${server.url}/`).then((response) => response.json()));
    await untilRequests(3);
    expect(server.inFlight).toBe(3);
    expect(used.size).toBe(3);
    release();
    expect(await Promise.all(calls)).toHaveLength(6);
    expect(used.size).toBe(3);
  });

  it('fails a refused connection as fetch does: TypeError("fetch failed") with the cause', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = (await failure(poolFetch()(`http://127.0.0.1:${port}/`))) as TypeError & { cause: { code?: string } };
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(error.cause.code).toBe('ECONNREFUSED');
  });

  it('does not follow redirects; redirect: "error" rejects on one', async () => {
    handler = (exchange) => exchange.text(302, '', { location: '/elsewhere' });
    const fetchFn = poolFetch();
    const response = await fetchFn(`${server.url}/`);
    expect([response.status, response.headers.get('location')]).toEqual([302, '/elsewhere']);
    await response.text();
    await expect(fetchFn(`${server.url}/`, { redirect: 'error' })).rejects.toThrow('fetch failed');
    expect(server.requestCount).toBe(2);
  });
});

describe('aborts and cancels release the socket at once', () => {
  /** A stream that writes a line every few ms until the client goes away. */
  const endless: ExchangeHandler = async (exchange: Exchange) => {
    exchange.startSse();
    while (await exchange.sleep(2)) await exchange.write('data: {"more":true}\n\n');
  };

  it('an abort mid-body fails the read with the reason and closes the connection', async () => {
    handler = endless;
    const controller = new AbortController();
    const response = await poolFetch()(`${server.url}/`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(reader.read()).rejects.toBe(reason);
    await closed(lastSocket);
    expect(server.inFlight).toBe(0);
  });

  it('an abort before the headers rejects with the reason and closes the connection', async () => {
    handler = (exchange) => exchange.untilClosed();
    const controller = new AbortController();
    const pending = poolFetch()(`${server.url}/`, { signal: controller.signal });
    await untilRequests(1);
    controller.abort();
    const error = (await failure(pending)) as DOMException;
    expect(error.name).toBe('AbortError');
    await closed(lastSocket);
  });

  it('an abort while waiting for a free connection rejects at once, and the request is never sent', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    handler = async (exchange) => {
      await gate;
      exchange.json(200, { ok: true });
    };
    const fetchFn = poolFetch({ connections: 1 });
    const first = fetchFn(`${server.url}/`);
    await untilRequests(1);
    const controller = new AbortController();
    const queued = fetchFn(`${server.url}/`, { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(queued).rejects.toThrow('gave up');
    release();
    await (await first).json();
    expect(server.requestCount).toBe(1);
  });

  it('cancelling the body mid-stream closes the connection; a body read to its end leaves it open', async () => {
    handler = endless;
    const fetchFn = poolFetch();
    const response = await fetchFn(`${server.url}/`);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    await closed(lastSocket);
    handler = (exchange) => exchange.json(200, { ok: true });
    await (await fetchFn(`${server.url}/`)).json();
    const kept = lastSocket!;
    // Cancelling a body that has ended already changes nothing: the connection stays for the next call.
    const done = await fetchFn(`${server.url}/`);
    const reused = lastSocket!;
    await done.json();
    await done.body?.cancel();
    await (await fetchFn(`${server.url}/`)).json();
    expect([kept.destroyed, reused.destroyed]).toEqual([false, false]);
  });
});

describe('timeouts (small injected values)', () => {
  it('headersTimeoutMs: a server that never answers fails the fetch with the timeout as cause', async () => {
    handler = (exchange) => exchange.untilClosed();
    const error = (await failure(poolFetch({ headersTimeoutMs: 30 })(`${server.url}/`))) as TypeError & { cause: { code?: string } };
    expect([error.message, error.cause.code]).toEqual(['fetch failed', 'UND_ERR_HEADERS_TIMEOUT']);
  });

  it('bodyTimeoutMs: a body that stalls fails the read with TypeError("terminated")', async () => {
    handler = async (exchange) => {
      exchange.startSse();
      await exchange.write('data: first\n\n');
      await exchange.untilClosed();
    };
    const response = await poolFetch({ bodyTimeoutMs: 30 })(`${server.url}/`);
    const reader = response.body!.getReader();
    await reader.read();
    const error = (await failure(reader.read())) as TypeError & { cause: { code?: string } };
    expect([error.message, error.cause.code]).toEqual(['terminated', 'UND_ERR_BODY_TIMEOUT']);
  });
});

describe('compressed answers are inflated', () => {
  const text = JSON.stringify({ answer: 'x'.repeat(5_000) });
  const raw = (encoding: string, body: Uint8Array): ExchangeHandler => (exchange) => {
    exchange.res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': String(body.byteLength) });
    exchange.res.end(body);
  };

  it.each([
    ['gzip', gzipSync(text)],
    ['x-gzip', gzipSync(text)],
    ['deflate', deflateSync(text)],
    ['deflate', deflateRawSync(text)],
    ['br', brotliCompressSync(text)],
    ['gzip, br', brotliCompressSync(gzipSync(text))],
  ])('%s', async (encoding, body) => {
    handler = raw(encoding, body);
    expect(await (await poolFetch()(`${server.url}/`)).text()).toBe(text);
  });

  it('passes an unknown coding through as it is', async () => {
    handler = raw('zstd', new TextEncoder().encode('opaque'));
    expect(await (await poolFetch()(`${server.url}/`)).text()).toBe('opaque');
  });

  it('counts the bounds on the inflated bytes (a gzip bomb stops at the bound)', async () => {
    handler = raw('gzip', gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)));
    const response = boundResponse(await poolFetch()(`${server.url}/`), { maxResponseBytes: 64 * 1024, maxStreamBytes: 1, maxEventBytes: 1 }, ORIGIN);
    const error = await failure(response.text());
    expect(ResponseLimitError.isInstance(error)).toBe(true);
  });
});

describe('response bounds on pooled responses (bounded-fetch.ts, the one place they are counted)', () => {
  const limits = { maxResponseBytes: 1_000, maxStreamBytes: 2_000, maxEventBytes: 200 };

  it('refuses a content-length above the bound before reading, and closes the connection', async () => {
    handler = async (exchange) => {
      exchange.startBody(200, { 'content-type': 'application/json', 'content-length': '5000' });
      await exchange.write('{"big":"');
      await exchange.untilClosed();
    };
    const response = await poolFetch()(`${server.url}/`);
    expect(() => boundResponse(response, limits, ORIGIN)).toThrow(ResponseLimitError);
    await closed(lastSocket);
  });

  it('fails an SSE event past maxEventBytes while streaming, and closes the connection', async () => {
    handler = async (exchange) => {
      exchange.startSse();
      await exchange.write('data: ok\n\n');
      await exchange.write(`data: ${'y'.repeat(500)}`);
      await exchange.untilClosed();
    };
    const response = boundResponse(await poolFetch()(`${server.url}/`), limits, ORIGIN);
    const reader = response.body!.getReader();
    const errors: unknown[] = [];
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (error) {
      errors.push(error);
    }
    expect(errors).toHaveLength(1);
    expect((errors[0] as ResponseLimitError).message).toContain('limits.maxEventBytes');
    await closed(lastSocket);
  });
});
