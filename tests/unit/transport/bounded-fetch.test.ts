/**
 * transport/bounded-fetch.ts: each bound (JSON body, whole stream, one SSE event, one NDJSON line),
 * the content-length pre-check, events split across chunks, cancellation both ways, and a gzip bomb
 * from a real server on 127.0.0.1 through Node's own fetch (which inflates before we count).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ResponseLimitError } from '../../../src/core/answer-errors.js';
import { mapProviderError } from '../../../src/core/error-mapping.js';
import { LLMError } from '../../../src/core/errors.js';
import { boundFetch, boundResponse, DEFAULT_RESPONSE_LIMITS, type ResponseLimits } from '../../../src/transport/bounded-fetch.js';

const LIMITS: ResponseLimits = { maxResponseBytes: 1_000, maxStreamBytes: 5_000, maxEventBytes: 100 };
const ORIGIN = { provider: 'openai', model: 'gpt-4o' };
const SSE = { 'content-type': 'text/event-stream; charset=utf-8' };
const NDJSON = { 'content-type': 'application/x-ndjson' };
const JSON_TYPE = { 'content-type': 'application/json' };
const encoder = new TextEncoder();

/** A body that yields `chunks` one pull at a time and records whether (and why) it was cancelled. */
function source(chunks: Array<string | Uint8Array>) {
  const state: { pulled: number; cancelled: unknown } = { pulled: 0, cancelled: undefined };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = chunks[state.pulled];
        if (next === undefined) return controller.close();
        state.pulled++;
        controller.enqueue(typeof next === 'string' ? encoder.encode(next) : next);
      },
      cancel(reason) {
        state.cancelled = reason ?? 'cancelled';
      },
    },
    { highWaterMark: 0 },
  );
  return { body, state };
}

function respond(chunks: Array<string | Uint8Array>, headers: Record<string, string>, limits = LIMITS) {
  const { body, state } = source(chunks);
  return { response: boundResponse(new Response(body, { status: 200, headers }), limits, ORIGIN), state };
}

/** Read a body to its end: the bytes, or the error it failed with. */
async function drain(response: Response): Promise<{ bytes: number; error?: unknown }> {
  const reader = response.body!.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const step = await reader.read();
      if (step.done) return { bytes };
      bytes += step.value.byteLength;
    }
  } catch (error) {
    return { bytes, error };
  }
}

function expectLimit(error: unknown, key: ResponseLimitError['limitKey'], bytes: number): void {
  expect(error).toBeInstanceOf(ResponseLimitError);
  const limit = error as ResponseLimitError;
  expect(limit).toMatchObject({ limitKey: key, limitBytes: bytes, retryable: false, provider: 'openai', model: 'gpt-4o', code: 'provider_error' });
  expect(limit.message).toBe(`openai:gpt-4o ${key === 'limits.maxResponseBytes' ? 'answered' : key === 'limits.maxStreamBytes' ? 'streamed' : 'sent a stream event or line of'} more than ${bytes} bytes (${key})`);
}

const event = (size: number, fill = 'x') => `data: ${fill.repeat(size - 8)}\n\n`;

describe('boundResponse', () => {
  it('passes a body within its bound through unchanged, status and headers kept', async () => {
    const { response } = respond(['{"a":', '"b"}'], { ...JSON_TYPE, 'x-request-id': 'req_1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req_1');
    expect(await response.json()).toEqual({ a: 'b' });
  });

  it('fails a JSON body past maxResponseBytes, cancelling the upstream body, without quoting it', async () => {
    const chunks = Array.from({ length: 20 }, () => 'SECRET-BODY-TEXT'.repeat(10));
    const { response, state } = respond(chunks, JSON_TYPE);
    const { bytes, error } = await drain(response);
    expectLimit(error, 'limits.maxResponseBytes', 1_000);
    expect(bytes).toBeLessThanOrEqual(1_000);
    expect(state.cancelled).toBe(error);
    expect(state.pulled).toBeLessThan(chunks.length);
    expect(String((error as Error).message)).not.toContain('SECRET');
    // The error is what the SDKs' response.json() rejects with.
    const again = respond(chunks, JSON_TYPE).response;
    await expect(again.json()).rejects.toBeInstanceOf(ResponseLimitError);
  });

  it('a content-length above the bound fails at once, before any byte is read', () => {
    const { body, state } = source(['x'.repeat(10)]);
    const response = new Response(body, { status: 200, headers: { ...JSON_TYPE, 'content-length': '1001' } });
    let thrown: unknown;
    try {
      boundResponse(response, LIMITS, ORIGIN);
    } catch (error) {
      thrown = error;
    }
    expectLimit(thrown, 'limits.maxResponseBytes', 1_000);
    expect(state.pulled).toBe(0);
    expect(state.cancelled).toBeDefined();
  });

  it('a content-length at the bound, or of an encoded body, is no reason to fail before reading', async () => {
    expect((await drain(respond(['x'.repeat(1_000)], { ...JSON_TYPE, 'content-length': '1000' }).response)).error).toBeUndefined();
    // gzip's length says nothing about what it inflates to: only the bytes read count.
    const encoded = respond(['x'.repeat(10)], { ...JSON_TYPE, 'content-length': '5000', 'content-encoding': 'gzip' }).response;
    expect(await drain(encoded)).toEqual({ bytes: 10 });
  });

  it('an event stream is bounded by maxStreamBytes in all, not by maxResponseBytes', async () => {
    const small = Array.from({ length: 40 }, () => event(50));
    expect(await drain(respond(small, SSE).response)).toEqual({ bytes: 2_000 });
    const { response, state } = respond(Array.from({ length: 200 }, () => event(50)), SSE);
    const { bytes, error } = await drain(response);
    expectLimit(error, 'limits.maxStreamBytes', 5_000);
    expect(bytes).toBe(5_000);
    expect(state.cancelled).toBe(error);
  });

  it('an SSE event longer than maxEventBytes fails even when it arrives in small chunks', async () => {
    const chunks = ['data: ', ...Array.from({ length: 30 }, () => 'abcd'), '\n\n'];
    const { error } = await drain(respond(chunks, SSE).response);
    expectLimit(error, 'limits.maxEventBytes', 100);
  });

  it('events of the bound pass, and a blank line split across chunks (\\n | \\n, \\r\\n | \\r\\n) ends the event', async () => {
    const split = [event(100).slice(0, -1), '\n', event(100).slice(0, -1), '\n', event(60)];
    expect((await drain(respond(split, SSE).response)).error).toBeUndefined();
    const crlf = (size: number) => `data: ${'y'.repeat(size - 10)}\r\n\r\n`;
    const crlfSplit = [crlf(100).slice(0, -2), '\r\n', crlf(100).slice(0, -3), '\n\r\n', crlf(100).slice(0, -4), '\r', '\n\r\n', crlf(100)];
    expect((await drain(respond(crlfSplit, SSE).response)).error).toBeUndefined();
    // Single line ends (one event of many lines) do not end the event.
    const lines = Array.from({ length: 12 }, () => 'data: 0123\n');
    expectLimit((await drain(respond([...lines, '\n'], SSE).response)).error, 'limits.maxEventBytes', 100);
  });

  it('counts the event an earlier chunk started up to its end in a later chunk', async () => {
    // 60 bytes open, then a chunk whose first event ends 50 bytes in: 110 > 100, though the chunk's last event is small.
    const { error } = await drain(respond(['data: ' + 'a'.repeat(54), 'b'.repeat(48) + '\n\n' + event(20)], SSE).response);
    expectLimit(error, 'limits.maxEventBytes', 100);
  });

  it('a chunk longer than the bound is searched for every event in it', async () => {
    const fine = event(90).repeat(10);
    expect((await drain(respond([fine], SSE).response)).error).toBeUndefined();
    const { error } = await drain(respond([event(20) + event(150) + event(20)], SSE).response);
    expectLimit(error, 'limits.maxEventBytes', 100);
  });

  it('NDJSON: maxEventBytes per line, maxStreamBytes in all', async () => {
    const line = (size: number) => `${'{"a":"'}${'z'.repeat(size - 9)}"}\n`;
    expect(await drain(respond([line(100), line(100).slice(0, 40), line(100).slice(40)], NDJSON).response)).toEqual({ bytes: 200 });
    expectLimit((await drain(respond([line(60).slice(0, -1), line(60)], NDJSON).response)).error, 'limits.maxEventBytes', 100);
    expectLimit((await drain(respond(Array.from({ length: 80 }, () => line(90)), NDJSON).response)).error, 'limits.maxStreamBytes', 5_000);
  });

  it('an event open past 64 KiB is handed on in one piece when it ends; ordinary events chunk by chunk', async () => {
    const limits = { ...LIMITS, maxEventBytes: 1024 * 1024, maxStreamBytes: 4 * 1024 * 1024 };
    const big = `data: ${'b'.repeat(200 * 1024)}\n\n`;
    const pieces = Array.from({ length: Math.ceil(big.length / 8192) }, (_, i) => big.slice(i * 8192, (i + 1) * 8192));
    const chunks = ['data: small\n\n', ...pieces, 'data: after\n\n'];
    const { response } = respond(chunks, SSE, limits);
    const reader = response.body!.getReader();
    const sizes: number[] = [];
    for (let step = await reader.read(); !step.done; step = await reader.read()) sizes.push(step.value.byteLength);
    // The small event, the big one's first 64 KiB chunk by chunk, then the rest of it in one piece.
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    expect(sizes[0]).toBe('data: small\n\n'.length);
    expect(sizes.length).toBeLessThan(chunks.length);
    expect(sizes.filter((size) => size === 8192).length).toBe(8);
    expect(sizes[sizes.length - 1]).toBe('data: after\n\n'.length);
  });

  it('a consumer that cancels cancels the upstream body, with its reason', async () => {
    const { response, state } = respond([event(50), event(50), event(50)], SSE);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel('consumer stopped');
    expect(state.cancelled).toBe('consumer stopped');
    expect(state.pulled).toBe(1);
  });

  it('reads nothing ahead of its consumer (pull-based, highWaterMark 0)', async () => {
    const { response, state } = respond(Array.from({ length: 10 }, () => event(50)), SSE);
    const reader = response.body!.getReader();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.pulled).toBe(1);
    await reader.cancel();
  });

  it('leaves a response without a body alone', () => {
    const empty = new Response(null, { status: 204 });
    expect(boundResponse(empty, LIMITS, ORIGIN)).toBe(empty);
  });

  it('has the schema defaults: 16 MiB, 64 MiB, 4 MiB', () => {
    expect(DEFAULT_RESPONSE_LIMITS).toEqual({ maxResponseBytes: 16 * 1024 * 1024, maxStreamBytes: 64 * 1024 * 1024, maxEventBytes: 4 * 1024 * 1024 });
  });
});

describe('the limit error reaches the caller as itself', () => {
  it('mapProviderError finds it in the cause chain of an SDK error and names the model', () => {
    const shared = new ResponseLimitError('limits.maxResponseBytes', 1_000, { provider: 'openai' });
    const wrapped = Object.assign(new Error('Connection error.', { cause: shared }), { name: 'APIConnectionError' });
    const mapped = mapProviderError(wrapped, ORIGIN);
    expectLimit(mapped, 'limits.maxResponseBytes', 1_000);
    expect(mapProviderError(shared, ORIGIN)).toBeInstanceOf(ResponseLimitError);
    expect(LLMError.isInstance(mapped)).toBe(true);
  });
});

describe('boundFetch over a real socket', () => {
  const MIB = 1024 * 1024;
  let server: http.Server;
  let url: string;
  let bombSent = 0;

  beforeAll(async () => {
    const member = gzipSync(Buffer.alloc(MIB, 'a'));
    server = http.createServer((request, response) => {
      if (request.url === '/bomb') {
        // 256 MiB of `a` in concatenated gzip members: about 270 KB on the wire.
        const body = Buffer.concat([gzipSync('{"text":"'), ...new Array<Buffer>(256).fill(member), gzipSync('"}')]);
        bombSent = body.length;
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) });
        response.end(body);
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * MIB) });
      response.end(Buffer.alloc(2 * MIB, 'b'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a gzip bomb stops at maxResponseBytes of inflated bytes', async () => {
    const limits = { ...DEFAULT_RESPONSE_LIMITS, maxResponseBytes: 8 * MIB };
    const response = await boundFetch(globalThis.fetch, limits, ORIGIN)(`${url}/bomb`);
    const { bytes, error } = await drain(response);
    expectLimit(error, 'limits.maxResponseBytes', 8 * MIB);
    expect(bytes).toBeLessThanOrEqual(8 * MIB);
    expect(bombSent).toBeLessThan(MIB);
    console.log(`gzip bomb: ${bombSent} bytes on the wire inflating to 256 MiB; stopped after ${bytes} inflated bytes (bound ${8 * MIB})`);
  });

  it('wraps any fetch (a user-supplied one) and rejects on content-length before reading', async () => {
    let calls = 0;
    const userFetch: typeof fetch = (input, init) => {
      calls++;
      return globalThis.fetch(input, init);
    };
    const bounded = boundFetch(userFetch, { ...DEFAULT_RESPONSE_LIMITS, maxResponseBytes: MIB }, ORIGIN);
    await expect(bounded(`${url}/big`)).rejects.toBeInstanceOf(ResponseLimitError);
    expect(calls).toBe(1);
  });
});
