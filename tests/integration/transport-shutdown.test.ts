/**
 * Clean shutdown: a child process builds a switchboard on the real sources (transpiled:
 * tests/helpers/child-sources.ts), makes OpenAI and Anthropic calls, a stream and an aborted
 * stream over the transport against its own loopback server, then `sb.close()`. The server must see
 * every connection the pools held close (the pools are closed, not left to their keep-alive
 * timeout), and the child must then exit by itself: nothing left on its event loop.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { transpiledSources } from '../helpers/child-sources.js';

const CHILD = String.raw`
import http from 'node:http';
import { createSwitchboard, silentLogger } from './src/index.js';

const sockets = new Set();
const server = http.createServer((request, response) => {
  let body = '';
  request.on('data', (part) => (body += part));
  request.on('end', () => {
    const wantsStream = JSON.parse(body || '{}').stream === true;
    if (request.url.endsWith('/messages')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-latest', content: [{ type: 'text', text: 'anthropic ok' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 2, output_tokens: 2 } }));
      return;
    }
    const chunk = (choices, usage = null) => 'data: ' + JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices, usage }) + '\n\n';
    if (!wantsStream) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'openai ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 } }));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(chunk([{ index: 0, delta: { role: 'assistant', content: 'stream' }, finish_reason: null }]));
    if (JSON.parse(body).messages[0].content === 'hang') return; // left open: the client aborts
    response.write(chunk([{ index: 0, delta: { content: ' ok' }, finish_reason: 'stop' }]));
    response.write(chunk([], { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 }));
    response.end('data: [DONE]\n\n');
  });
});
// Neither side ends idle connections by itself within the test: only closing the pools can.
server.keepAliveTimeout = 600000;
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = 'http://127.0.0.1:' + server.address().port;

const sb = await createSwitchboard({
  env: {},
  cwd: process.env.REPO_ROOT,
  logger: silentLogger,
  config: {
    telemetry: { logLevel: 'silent' },
    resilience: { maxRetries: 0 },
    providers: {
      openai: { apiKey: 'sk-child-0000000000000000', baseURL: base + '/v1', transport: { keepAliveTimeoutMs: 600000 } },
      anthropic: { apiKey: 'sk-ant-child-000000000000', baseURL: base, transport: { keepAliveTimeoutMs: 600000 } },
    },
  },
});
const answers = [];
const ask = (model, content) => ({ model, messages: [{ role: 'user', content }] });
answers.push((await sb.chat(ask('openai:gpt-4o-mini', 'hi'))).text);
answers.push((await sb.chat(ask('anthropic:claude-3-5-haiku-latest', 'hi'))).text);
let streamed = '';
for await (const part of sb.stream(ask('openai:gpt-4o-mini', 'hi'))) if (part.type === 'text-delta') streamed += part.text;
answers.push(streamed);
const controller = new AbortController();
let aborted = 'not aborted';
try {
  for await (const part of sb.stream({ ...ask('openai:gpt-4o-mini', 'hang'), signal: controller.signal })) if (part.type === 'text-delta') controller.abort();
} catch (error) {
  aborted = error.name;
}
answers.push(aborted);
const openBeforeClose = sockets.size;
await sb.close();
// The server sees each connection the pools held close; nothing else would close them now.
while (sockets.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
await new Promise((resolve) => server.close(resolve));
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write(JSON.stringify({ answers, openBeforeClose, resources: process.getActiveResourcesInfo() }));
`;

describe('sb.close() closes the pools', () => {
  let sources: ReturnType<typeof transpiledSources>;

  beforeAll(() => {
    sources = transpiledSources();
    writeFileSync(join(sources.dir, 'child.mjs'), CHILD);
  });
  afterAll(() => sources?.remove());

  it('leaves no connection open and nothing on the event loop: the child exits by itself', async () => {
    const child = spawn(process.execPath, [join(sources.dir, 'child.mjs')], { env: { ...process.env, REPO_ROOT: process.cwd() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (part: Buffer) => (stdout += part.toString()));
    child.stderr.on('data', (part: Buffer) => (stderr += part.toString()));
    // No deadline of its own: a child that never exits fails by jest's timeout.
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout) as { answers: string[]; openBeforeClose: number; resources: string[] };
    expect(report.answers).toEqual(['openai ok', 'anthropic ok', 'stream ok', 'AbortError']);
    expect(report.openBeforeClose).toBeGreaterThan(0);
    // (The test's own server handle may still be listed for a tick after its close callback.)
    expect(report.resources.filter((resource) => /TCPSocketWrap|Timeout/.test(resource))).toEqual([]);
  });
});
