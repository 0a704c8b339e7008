/**
 * A fake Ollama server on 127.0.0.1:0 speaking the native wire format: `/api/chat` and
 * `/api/generate` as one JSON object or NDJSON lines ending with `done: true`, `/api/tags`,
 * `/api/show`, `/api/embed` (vectors from embed-vectors.ts; a scripted status failure, malformed body or
 * hang applies to it too), and `{ "error": "..." }` bodies. Answers are scripted per model; unscripted requests
 * for a pulled model get a default answer, for an unknown model a 404 like the real server.
 * Rich answers as Ollama 0.12.10+ writes them: `message.thinking` (generate: `thinking`), and
 * `message.tool_calls: [{ id, function: { index, name, arguments: <object> } }]`; a stream sends
 * thinking lines first, then text, then each tool call whole in a line of its own, and ends `done`
 * with `done_reason: "stop"` (Ollama's reason for a turn that called tools too).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest, ScriptedFailure, ScriptedReply, ScriptedRichReply } from '../contract/contract-harness.js';
import { ollamaEmbedAnswer } from './embed-vectors.js';

/** A model the fake has "pulled". */
export interface FakeOllamaModel {
  name: string;
  /** Bytes on disk, as /api/tags reports. */
  size: number;
  architecture?: string;
  contextLength?: number;
  capabilities?: string[];
}

type Script =
  | { kind: 'reply'; reply: ScriptedRichReply }
  | { kind: 'fail'; failure: ScriptedFailure }
  | { kind: 'hang' }
  /**
   * Stream the first `afterChunks` chunks of `reply`, then end the body cleanly (`end`) or reset the
   * socket (`reset`), either way without the `done: true` line.
   */
  | { kind: 'interrupt'; reply: ScriptedReply; afterChunks: number; how: 'end' | 'reset' }
  /** Stream the chunks, then an `{ "error": ... }` line (Ollama's mid-stream failure). */
  | { kind: 'error-line'; reply: ScriptedReply; message: string };

/** Control surface of the fake. */
export interface FakeOllamaServer {
  /** `http://127.0.0.1:<port>` (Ollama's base URL has no path). */
  url: string;
  port: number;
  /** Queue an answer; tool calls and reasoning (thinking) are optional. */
  reply(model: string, reply: ScriptedRichReply): void;
  fail(model: string, failure: ScriptedFailure): void;
  hang(model: string): void;
  interrupt(model: string, reply: ScriptedReply, afterChunks: number, how?: 'end' | 'reset'): void;
  errorLine(model: string, reply: ScriptedReply, message: string): void;
  /** Replace the pulled models (what /api/tags and /api/show describe). */
  setModels(models: FakeOllamaModel[]): void;
  requests(): RecordedRequest[];
  close(): Promise<void>;
}

const MAX_RECORDED = 1_000;
const DEFAULT_REPLY: ScriptedReply = { text: 'Hello from the fake Ollama.', chunks: ['Hello ', 'from the ', 'fake Ollama.'], usage: { inputTokens: 7, outputTokens: 5 } };

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

const FILLER = 'FILLER-MARK-0llama';
const HUGE_CHUNK_BYTES = 64 * 1024;

/**
 * A broken 200 (the ScriptedFailure kinds besides status and malformed): an HTML page, an answer
 * without its message (a stream: a line that is a bare number), content that is an object, or a
 * valid answer of `bytes` bytes written from one reused buffer (a stream: all in one NDJSON line).
 */
async function brokenAnswer(response: ServerResponse, failure: Exclude<ScriptedFailure, { kind: 'status' | 'malformed' }>, stream: boolean, sample: Record<string, unknown>): Promise<void> {
  const type = stream ? 'application/x-ndjson' : 'application/json';
  const done = { done: true, done_reason: 'stop' };
  switch (failure.kind) {
    case 'html':
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n');
      return;
    case 'no-answer':
      response.writeHead(200, { 'content-type': type });
      response.end(stream ? '42\n' : JSON.stringify({ model: sample.model, created_at: sample.created_at, ...done }));
      return;
    case 'non-text-content': {
      const notText = { parts: ['not', 'a', 'string'] };
      const broken = 'message' in sample ? { ...sample, message: { role: 'assistant', content: notText } } : { ...sample, response: notText };
      response.writeHead(200, { 'content-type': type });
      response.end(JSON.stringify({ ...broken, ...(stream ? { done: false } : done) }) + '\n');
      return;
    }
    case 'huge': {
      const [head, tail] = JSON.stringify({ ...sample, ...done }).split(FILLER) as [string, string];
      response.writeHead(200, { 'content-type': type });
      const filler = Buffer.alloc(HUGE_CHUNK_BYTES, 'a');
      const writes = Math.ceil(failure.bytes / HUGE_CHUNK_BYTES);
      // Backpressure, and stop once the client has gone: the server shares the test's memory.
      const write = (data: string | Buffer): Promise<void> =>
        response.write(data)
          ? Promise.resolve()
          : new Promise((resolve) => {
              const wake = () => {
                response.off('drain', wake);
                response.off('close', wake);
                resolve();
              };
              response.on('drain', wake);
              response.on('close', wake);
            });
      await write(head);
      for (let index = 0; index < writes && !response.destroyed; index++) await write(filler);
      if (!response.destroyed) response.end(`${tail}\n`);
      return;
    }
  }
}

/** The fields of Ollama's final object: counts only when the script has usage. */
function doneFields(reply: ScriptedReply): Record<string, unknown> {
  const fields: Record<string, unknown> = { done: true, done_reason: reply.finishReason ?? 'stop', total_duration: 1000, load_duration: 10 };
  if (reply.usage) {
    fields.prompt_eval_count = reply.usage.inputTokens;
    fields.eval_count = reply.usage.outputTokens;
  }
  return fields;
}

/** How the fake behaves beyond its scripts. */
export interface FakeOllamaOptions {
  /** Tool calls carry `id` (Ollama 0.12.10 and later); false: none, as older servers. Default true. */
  toolCallIds?: boolean;
}

/** One tool call as Ollama writes it: arguments as an object. */
function wireToolCall(call: { id: string; name: string; arguments: string }, index: number, withId: boolean): Record<string, unknown> {
  const fn = { index, name: call.name, arguments: JSON.parse(call.arguments) as unknown };
  return withId ? { id: call.id, function: fn } : { function: fn };
}

/** Split thinking into two lines, as a server streaming it would. */
function thinkingChunks(text: string): string[] {
  const half = Math.ceil(text.length / 2);
  return half === 0 ? [] : [text.slice(0, half), text.slice(half)].filter((piece) => piece !== '');
}

/** Start the fake. `models` defaults to one small llama model named `llama3.2`. */
export async function startFakeOllamaServer(
  models: FakeOllamaModel[] = [{ name: 'llama3.2', size: 2_019_393_189, architecture: 'llama', contextLength: 131_072, capabilities: ['completion', 'tools'] }],
  fakeOptions: FakeOllamaOptions = {},
): Promise<FakeOllamaServer> {
  const withIds = fakeOptions.toolCallIds !== false;
  let pulled = [...models];
  const scripts = new Map<string, Script[]>();
  const recorded: RecordedRequest[] = [];
  const enqueue = (model: string, script: Script) => {
    const queue = scripts.get(model) ?? [];
    queue.push(script);
    scripts.set(model, queue);
  };

  const content = (path: string, model: string, text: string, extra: { thinking?: string; toolCalls?: unknown[] } = {}) => {
    const created_at = new Date(0).toISOString();
    if (path !== '/api/chat') return { model, created_at, response: text, ...(extra.thinking ? { thinking: extra.thinking } : {}) };
    const message: Record<string, unknown> = { role: 'assistant', content: text };
    if (extra.thinking) message.thinking = extra.thinking;
    if (extra.toolCalls && extra.toolCalls.length > 0) message.tool_calls = extra.toolCalls;
    return { model, created_at, message };
  };

  const answer = (path: string, model: string, stream: boolean, script: Script, response: ServerResponse) => {
    if (script.kind === 'hang') {
      response.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json' });
      response.flushHeaders();
      return;
    }
    if (script.kind === 'fail') {
      const failure = script.failure;
      if (failure.kind === 'malformed') {
        response.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json' });
        response.end('{"model": "broken', 'utf8');
        return;
      }
      if (failure.kind !== 'status') {
        void brokenAnswer(response, failure, stream, content(path, model, FILLER));
        return;
      }
      sendJson(response, failure.status, { error: failure.message ?? `fake failure ${failure.status}` }, failure.headers);
      return;
    }
    const reply = script.reply;
    const calls = ('toolCalls' in reply && reply.toolCalls ? reply.toolCalls : []).map((call, index) => wireToolCall(call, index, withIds));
    const thinking = 'reasoning' in reply ? reply.reasoning : undefined;
    if (!stream) {
      sendJson(response, 200, { ...content(path, model, reply.text, { thinking, toolCalls: calls }), ...doneFields(reply) });
      return;
    }
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const chunks = reply.chunks ?? (reply.text === '' && (calls.length > 0 || thinking) ? [] : [reply.text]);
    const sent = script.kind === 'interrupt' ? chunks.slice(0, script.afterChunks) : chunks;
    const lines = [
      ...(script.kind === 'interrupt' ? [] : thinkingChunks(thinking ?? '').map((piece) => JSON.stringify({ ...content(path, model, '', { thinking: piece }), done: false }) + '\n')),
      ...sent.map((chunk) => JSON.stringify({ ...content(path, model, chunk), done: false }) + '\n'),
      ...(script.kind === 'interrupt' ? [] : calls.map((call) => JSON.stringify({ ...content(path, model, '', { toolCalls: [call] }), done: false }) + '\n')),
    ];
    if (script.kind === 'interrupt') {
      // No final line: the client must notice the missing `done: true` itself.
      if (script.how === 'end') response.end(lines.join(''));
      else response.write(lines.join(''), () => setTimeout(() => response.socket?.destroy(), 20));
      return;
    }
    for (const line of lines) response.write(line);
    if (script.kind === 'error-line') {
      response.end(JSON.stringify({ error: script.message }) + '\n');
      return;
    }
    response.end(JSON.stringify({ ...content(path, model, ''), ...doneFields(reply) }) + '\n');
  };

  const server = createServer(async (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const raw = await readBody(request);
    let body: Record<string, unknown> = {};
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    } catch {
      sendJson(response, 400, { error: 'invalid JSON body' });
      return;
    }
    if (recorded.length < MAX_RECORDED) {
      recorded.push({ method: request.method ?? 'GET', path, headers: request.headers as Record<string, string>, body });
    }
    if (path === '/api/tags' && request.method === 'GET') {
      sendJson(response, 200, { models: pulled.map((model) => ({ name: model.name, model: model.name, modified_at: new Date(0).toISOString(), size: model.size, digest: 'sha256:fake', details: { format: 'gguf', family: model.architecture ?? 'llama' } })) });
      return;
    }
    const model = String(body.model ?? body.name ?? '');
    if (path === '/api/show' && request.method === 'POST') {
      const found = pulled.find((entry) => entry.name === model);
      if (!found) {
        sendJson(response, 404, { error: `model '${model}' not found` });
        return;
      }
      const architecture = found.architecture ?? 'llama';
      const modelInfo: Record<string, unknown> = { 'general.architecture': architecture };
      if (found.contextLength !== undefined) modelInfo[`${architecture}.context_length`] = found.contextLength;
      sendJson(response, 200, { modelfile: '', parameters: '', template: '{{ .Prompt }}', details: { family: architecture }, model_info: modelInfo, capabilities: found.capabilities ?? ['completion'] });
      return;
    }
    if ((path === '/api/chat' || path === '/api/generate') && request.method === 'POST') {
      const script = scripts.get(model)?.shift();
      if (!script && !pulled.some((entry) => entry.name === model)) {
        sendJson(response, 404, { error: `model "${model}" not found, try pulling it first` });
        return;
      }
      answer(path, model, body.stream !== false, script ?? { kind: 'reply', reply: DEFAULT_REPLY }, response);
      return;
    }
    if (path === '/api/embed' && request.method === 'POST') {
      const script = scripts.get(model)?.shift();
      if (!script && !pulled.some((entry) => entry.name === model)) {
        sendJson(response, 404, { error: `model "${model}" not found, try pulling it first` });
        return;
      }
      if (script?.kind === 'hang') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.flushHeaders();
        return;
      }
      if (script?.kind === 'fail') {
        const failure = script.failure;
        if (failure.kind === 'status') sendJson(response, failure.status, { error: failure.message ?? `fake failure ${failure.status}` }, failure.headers);
        else {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('{"model": "broken', 'utf8');
        }
        return;
      }
      const answer = ollamaEmbedAnswer(body);
      sendJson(response, answer.status, answer.json);
      return;
    }
    sendJson(response, 404, { error: `no route ${request.method} ${path}` });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    reply: (model, reply) => enqueue(model, { kind: 'reply', reply }),
    fail: (model, failure) => enqueue(model, { kind: 'fail', failure }),
    hang: (model) => enqueue(model, { kind: 'hang' }),
    interrupt: (model, reply, afterChunks, how = 'end') => enqueue(model, { kind: 'interrupt', reply, afterChunks, how }),
    errorLine: (model, reply, message) => enqueue(model, { kind: 'error-line', reply, message }),
    setModels: (next) => {
      pulled = [...next];
    },
    requests: () => [...recorded],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
