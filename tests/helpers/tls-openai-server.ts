/**
 * A small OpenAI chat-completions server over TLS on 127.0.0.1 (a certificate from tls-fixtures.ts),
 * HTTP/1.1 only or HTTP/2 with HTTP/1.1 fallback (ALPN), answering every chat with the same text as
 * one JSON completion or an SSE stream ending in `[DONE]`. It records the HTTP version of each
 * request, so a test can tell which protocol the client chose.
 */
import http2 from 'node:http2';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The answer every chat gets, and its stream chunks. */
export const TLS_ANSWER_CHUNKS = ['Hello', ' over', ' TLS'];

/** A running server. */
export interface TlsOpenAIServer {
  /** `https://127.0.0.1:<port>/v1` */
  baseURL: string;
  /** `httpVersion` of every request ("1.1" or "2.0"), in order. */
  readonly versions: string[];
  close(): Promise<void>;
}

type AnyRequest = IncomingMessage | http2.Http2ServerRequest;
type AnyResponse = ServerResponse | http2.Http2ServerResponse;
/** What both response kinds share (the HTTP/2 compatibility API mirrors node:http's). */
interface Writable {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): unknown;
  end(chunk?: string): unknown;
}

function completion(): string {
  return JSON.stringify({
    id: 'chatcmpl-tls',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: TLS_ANSWER_CHUNKS.join('') }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
  });
}

function chunk(delta: Record<string, unknown>, finish: string | null, usage: unknown = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-tls', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: finish === 'usage' ? [] : [{ index: 0, delta, finish_reason: finish }], usage })}\n\n`;
}

function answer(request: AnyRequest, anyResponse: AnyResponse, body: string): void {
  const response = anyResponse as unknown as Writable;
  const url = request.url ?? '';
  if (!url.endsWith('/chat/completions')) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: `no route ${url}`, type: 'invalid_request_error' } }));
    return;
  }
  const stream = (JSON.parse(body || '{}') as { stream?: boolean }).stream === true;
  if (!stream) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(completion());
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const text of TLS_ANSWER_CHUNKS) response.write(chunk({ content: text }, null));
  response.write(chunk({}, 'stop'));
  response.write(chunk({}, 'usage', { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 }));
  response.end('data: [DONE]\n\n');
}

/** Start the server with `tls` (key and certificate PEM); `h2` offers HTTP/2 first. */
export async function startTlsOpenAIServer(tls: { key: string; cert: string }, options: { h2?: boolean } = {}): Promise<TlsOpenAIServer> {
  const versions: string[] = [];
  const sockets = new Set<Socket>();
  const handle = (request: AnyRequest, response: AnyResponse) => {
    versions.push(request.httpVersion);
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (part: string) => (body += part));
    request.on('end', () => answer(request, response, body));
  };
  const server = options.h2
    ? http2.createSecureServer({ key: tls.key, cert: tls.cert, allowHTTP1: true }, handle)
    : https.createServer({ key: tls.key, cert: tls.cert }, handle);
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client refusing the certificate ends its handshake: expected in the tests, not a crash.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `https://127.0.0.1:${port}/v1`,
    versions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
