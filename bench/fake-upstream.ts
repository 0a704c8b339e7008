/**
 * The loopback fake upstream, run in its own process so its CPU never counts against a client:
 * OpenAI `POST …/chat/completions` and Anthropic `POST …/messages`, JSON or SSE (with the usage chunk),
 * answering at once by default.
 *
 * Environment: PORT (default 0 = any free port), LATENCY_MS (wait before the response head),
 * CHUNK_DELAY_MS (pause between SSE frames), BENCH_CHUNKS (text chunks per answer, default 32),
 * CHAOS (share of requests, 0..1, answered 429 or 500 instead; for the soak), CHAOS_SEED.
 * Prints `listening <url>` on stdout and, when forked, sends `{ type: 'listening', url }`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicErrorJson, asksForStream, encodeAnswers, openAIErrorJson } from './lib/wire.js';

const latencyMs = Number(process.env.LATENCY_MS ?? 0);
const chunkDelayMs = Number(process.env.CHUNK_DELAY_MS ?? 0);
const chunks = Number(process.env.BENCH_CHUNKS ?? 32);
const chaos = Number(process.env.CHAOS ?? 0);
for (const [name, value] of Object.entries({ LATENCY_MS: latencyMs, CHUNK_DELAY_MS: chunkDelayMs, CHAOS: chaos })) {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0`);
}
if (chaos > 1) throw new Error('CHAOS is a share of requests between 0 and 1 (e.g. 0.05)');
if (!Number.isInteger(chunks) || chunks < 1) throw new Error('BENCH_CHUNKS must be a whole number >= 1');

const answers = encodeAnswers(chunks);
const counts = { requests: 0, faults: 0, streams: 0 };

/** mulberry32: a seeded PRNG, so a chaos run can be repeated exactly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seededRandom(Number(process.env.CHAOS_SEED ?? 42));

const JSON_HEAD = { 'content-type': 'application/json', 'x-request-id': 'req_bench' };
const SSE_HEAD = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_bench' };

function later(ms: number, step: () => void): void {
  if (ms > 0) setTimeout(step, ms);
  else step();
}

function writeFrames(response: ServerResponse, frames: Uint8Array[]): void {
  if (chunkDelayMs === 0) {
    for (const frame of frames) response.write(frame);
    response.end();
    return;
  }
  let index = 0;
  const next = () => {
    if (response.destroyed) return;
    response.write(frames[index++]);
    if (index < frames.length) setTimeout(next, chunkDelayMs);
    else response.end();
  };
  next();
}

function answer(request: IncomingMessage, response: ServerResponse, body: string): void {
  const path = (request.url ?? '').split('?')[0]!;
  if (request.method === 'GET' && path === '/healthz') {
    response.writeHead(200, JSON_HEAD).end('{"ok":true}');
    return;
  }
  const anthropic = path.endsWith('/messages');
  if (request.method !== 'POST' || !(anthropic || path.endsWith('/chat/completions'))) {
    response.writeHead(404, JSON_HEAD).end(openAIErrorJson(404));
    return;
  }
  counts.requests++;
  if (chaos > 0 && random() < chaos) {
    counts.faults++;
    const status = random() < 0.5 ? 429 : 500;
    later(latencyMs, () =>
      response.writeHead(status, { ...JSON_HEAD, ...(status === 429 ? { 'retry-after-ms': '1' } : {}) }).end(anthropic ? anthropicErrorJson(status) : openAIErrorJson(status)),
    );
    return;
  }
  if (asksForStream(body)) {
    counts.streams++;
    later(latencyMs, () => {
      response.writeHead(200, SSE_HEAD);
      writeFrames(response, anthropic ? answers.anthropicFrames : answers.openAIFrames);
    });
    return;
  }
  later(latencyMs, () => response.writeHead(200, JSON_HEAD).end(anthropic ? answers.anthropicJson : answers.openAIJson));
}

const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => answer(request, response, Buffer.concat(parts).toString('utf8')));
});
server.keepAliveTimeout = 60_000;

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.stdout.write(`listening ${url}\n`);
  process.send?.({ type: 'listening', url });
});

process.on('message', (message: { type?: string }) => {
  if (message?.type === 'counts') process.send?.({ type: 'counts', ...counts });
  if (message?.type === 'close') stop();
});

function stop(): void {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
// Forked: leave with the parent, never outlive it.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', stop);
