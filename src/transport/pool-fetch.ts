/**
 * A `fetch` over the transport's pools, for the official SDKs' `fetch` option and the hand-written
 * clients (Ollama). It sends the request on the origin's pool with undici's `dispatch` (what
 * `Pool.request` is built on, without the Node Readable and AsyncResource it adds per response:
 * measured ~25 % of the transport's CPU per call, docs/decisions.md) and resolves with a
 * PooledResponse as soon as the headers arrive; the body follows chunk by chunk through a BodyQueue.
 *
 * Where it differs from WHATWG fetch, on purpose:
 * - Redirects are not followed: a 3xx is the answer (LLM APIs do not redirect; a base URL that does
 *   is a config mistake the SDK then reports with its status). `redirect: 'error'` rejects on one.
 * - No cookies, cache, CORS or credentials modes (a server-side client has none of them).
 * - Headers it adds only when the caller set none: `accept: *\/*`, `user-agent: llm-switchboard`,
 *   `accept-encoding` from the settings (`identity` by default; compressed answers are inflated anyway).
 * Errors have fetch's shapes: a failed connection or header wait rejects with `TypeError('fetch
 * failed')` (the undici error as its `cause`), a body cut off rejects reads with `TypeError('terminated')`,
 * an abort with the signal's reason, and the connection is destroyed at once.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { AnswerOrigin } from '../core/answer-errors.js';
import { BodyQueue, type BodyFlow } from './body-queue.js';
import { DecodingSink, decodingsOf, type BodySink } from './body-decoding.js';
import { PooledResponse, type RawHeaders } from './pooled-response.js';

/** Where a fetch sends its requests and what it adds to them. */
export interface PoolFetchTarget {
  /** The dispatcher (pool or proxy agent) of an origin such as `https://api.openai.com`. */
  dispatcherFor(origin: string): Dispatcher;
  /** `accept-encoding` when the request sets none; '' = send none. */
  acceptEncoding: string;
  /** Named in bound errors of responses no manager bounded. */
  origin: AnswerOrigin;
}

type RequestBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array> | null;

const STANDARD_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH']);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** An authority and path that need no normalising (anything else goes through WHATWG URL parsing). */
const PLAIN_AUTHORITY = /^[A-Za-z0-9.\-[\]:]+$/;
const PLAIN_PATH = /^[\x21-\x7e]*$/;

/** `origin` and request `path` of an absolute http(s) URL. */
function splitUrl(url: string): { origin: string; path: string } {
  const schemeEnd = url.indexOf('://');
  const scheme = schemeEnd > 0 ? url.slice(0, schemeEnd) : '';
  if (scheme === 'http' || scheme === 'https') {
    let end = schemeEnd + 3;
    while (end < url.length && url[end] !== '/' && url[end] !== '?' && url[end] !== '#') end++;
    const authority = url.slice(schemeEnd + 3, end);
    const rest = url.slice(end);
    if (authority !== '' && PLAIN_AUTHORITY.test(authority) && PLAIN_PATH.test(rest) && !rest.includes('#')) {
      return { origin: url.slice(0, end), path: rest === '' ? '/' : rest[0] === '?' ? `/${rest}` : rest };
    }
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new TypeError(`Invalid URL: ${url}`, { cause });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`fetch failed: only http(s) URLs are fetched, not ${parsed.protocol}`);
  if (parsed.username || parsed.password) throw new TypeError('Request cannot be constructed from a URL that includes credentials');
  return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
}

/** What fetch rejects with on an abort: the signal's reason. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new DOMException(String(reason), 'AbortError');
}

/** The request headers as undici takes them (a flat name/value list), with fetch's defaults added. */
function requestHeaders(init: RequestInit['headers'], acceptEncoding: string): { list: string[]; contentType: boolean } {
  const list: string[] = [];
  let accept = false;
  let encoding = false;
  let agent = false;
  let contentType = false;
  const add = (name: string, value: unknown) => {
    const lower = name.toLowerCase();
    if (lower === 'accept') accept = true;
    else if (lower === 'accept-encoding') encoding = true;
    else if (lower === 'user-agent') agent = true;
    else if (lower === 'content-type') contentType = true;
    list.push(lower, String(value));
  };
  if (init instanceof Headers) for (const [name, value] of init) add(name, value);
  else if (Array.isArray(init)) for (const pair of init) add(pair[0]!, pair[1]);
  else if (init) for (const name of Object.keys(init)) if (init[name] !== undefined && init[name] !== null) add(name, init[name]);
  if (!accept) list.push('accept', '*/*');
  if (!encoding && acceptEncoding !== '') list.push('accept-encoding', acceptEncoding);
  if (!agent) list.push('user-agent', 'llm-switchboard');
  return { list, contentType };
}

/** A request body as undici sends it, and the content type fetch would give it when the caller set none. */
async function requestBody(body: RequestInit['body']): Promise<{ body: RequestBody; type?: string }> {
  if (body === undefined || body === null) return { body: null };
  if (typeof body === 'string') return { body, type: 'text/plain;charset=UTF-8' };
  if (body instanceof Uint8Array) return { body };
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body) };
  if (ArrayBuffer.isView(body)) return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  if (body instanceof URLSearchParams) return { body: body.toString(), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  if (body instanceof Blob) return { body: new Uint8Array(await body.arrayBuffer()), type: body.type || undefined };
  if (body instanceof ReadableStream) return { body: Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>) };
  if (body instanceof FormData) {
    // multipart/form-data with its boundary, serialised as fetch would.
    const encoded = new Response(body);
    return { body: new Uint8Array(await encoded.arrayBuffer()), type: encoded.headers.get('content-type') ?? undefined };
  }
  if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') return { body: body as AsyncIterable<Uint8Array> };
  throw new TypeError('fetch failed: unsupported request body type');
}

/** One request/response exchange on a pool: undici's handler, settling the fetch promise and feeding the body. */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private sink: BodySink | undefined;
  private aborted: { reason: unknown } | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly resolve: (response: Response) => void,
    private readonly reject: (error: unknown) => void,
    private readonly url: string,
    private readonly method: string,
    private readonly signal: AbortSignal | undefined,
    private readonly refuseRedirects: boolean,
    private readonly origin: AnswerOrigin,
  ) {
    if (signal) {
      this.onAbort = () => this.abort(abortReason(signal));
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Aborted while the request waited for a connection.
    if (this.aborted) controller.abort(asError(this.aborted.reason));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: RawHeaders, statusMessage?: string): void {
    if (statusCode < 200 || this.settled) return;
    this.controller = controller;
    this.settled = true;
    if (this.refuseRedirects && REDIRECT_STATUSES.has(statusCode)) {
      controller.abort(new Error('redirect refused'));
      this.finish();
      this.reject(new TypeError('fetch failed', { cause: new Error(`unexpected redirect (${statusCode}) with redirect: "error"`) }));
      return;
    }
    const withoutBody = this.method === 'HEAD' || statusCode === 204 || statusCode === 205 || statusCode === 304;
    let queue: BodyQueue | undefined;
    if (!withoutBody) {
      const connection: BodyFlow = { pause: () => controller.pause(), resume: () => controller.resume(), abort: (reason) => controller.abort(asError(reason)) };
      queue = new BodyQueue(connection);
      queue.onSettled = () => this.finish();
      const codings = decodingsOf(typeof headers['content-encoding'] === 'string' ? headers['content-encoding'] : undefined);
      this.sink = codings ? new DecodingSink(codings, queue, connection, (cause) => new TypeError('terminated', { cause })) : queue;
    }
    this.resolve(new PooledResponse({ status: statusCode, statusText: statusMessage ?? '', headers, url: this.url, body: queue, origin: this.origin }) as unknown as Response);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.sink?.write(chunk);
  }

  onResponseEnd(): void {
    this.sink?.end();
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    const failure = this.aborted ? this.aborted.reason : undefined;
    if (!this.settled) {
      this.settled = true;
      this.reject(this.aborted ? failure : new TypeError('fetch failed', { cause: error }));
    } else {
      this.sink?.fail(this.aborted ? failure : new TypeError('terminated', { cause: error }));
    }
    this.finish();
  }

  /** The caller's signal fired: reject now (or fail the body) and stop the request, which destroys its connection. */
  private abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = { reason };
    if (!this.settled) {
      this.settled = true;
      this.reject(reason);
    } else {
      this.sink?.fail(reason);
    }
    this.controller?.abort(asError(reason));
    this.finish();
  }

  /** The exchange is over: the signal's listener goes (the SDKs keep one signal per call, not per request). */
  private finish(): void {
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
  }
}

/** A request ready to dispatch. */
interface Outgoing {
  origin: string;
  path: string;
  url: string;
  method: string;
  headers: { list: string[]; contentType: boolean };
  signal: AbortSignal | undefined;
  refuseRedirects: boolean;
}

/** Send one request on `target`'s pools (see the file comment). Never throws: failures reject. */
function send(target: PoolFetchTarget, input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
  try {
    const request = input instanceof Request ? input : undefined;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const { origin, path } = splitUrl(url);
    const rawMethod = init?.method ?? request?.method ?? 'GET';
    const upper = rawMethod.toUpperCase();
    const method = STANDARD_METHODS.has(upper) ? upper : rawMethod;
    const signal = init?.signal ?? request?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const headers = requestHeaders(init?.headers ?? request?.headers, target.acceptEncoding);
    const bodyInit = init && init.body !== undefined ? init.body : request?.body;
    if (bodyInit !== null && bodyInit !== undefined && (method === 'GET' || method === 'HEAD')) throw new TypeError('Request with GET/HEAD method cannot have body.');
    const outgoing: Outgoing = { origin, path, url, method, headers, signal, refuseRedirects: (init?.redirect ?? request?.redirect) === 'error' };
    // Strings (every SDK's JSON) and no body need no await: the common path stays synchronous up to the dispatch.
    if (bodyInit === null || bodyInit === undefined) return dispatchOn(target, outgoing, null, undefined);
    if (typeof bodyInit === 'string') return dispatchOn(target, outgoing, bodyInit, 'text/plain;charset=UTF-8');
    return requestBody(bodyInit).then(({ body, type }) => dispatchOn(target, outgoing, body, type));
  } catch (error) {
    return Promise.reject(error);
  }
}

function dispatchOn(target: PoolFetchTarget, outgoing: Outgoing, body: RequestBody, type: string | undefined): Promise<Response> {
  const { origin, path, method, headers } = outgoing;
  if (type && !headers.contentType) headers.list.push('content-type', type);
  const dispatcher = target.dispatcherFor(origin);
  return new Promise<Response>((resolve, reject) => {
    const exchange = new Exchange(resolve, reject, outgoing.url, method, outgoing.signal, outgoing.refuseRedirects, target.origin);
    try {
      dispatcher.dispatch({ origin, path, method: method as Dispatcher.HttpMethod, headers: headers.list, body: body as Dispatcher.DispatchOptions['body'] }, exchange);
    } catch (error) {
      exchange.onResponseError(undefined, error as Error);
    }
  });
}

/** A fetch whose every request goes through `target`'s pools. */
export function poolFetch(target: PoolFetchTarget): typeof fetch {
  const fetchOverPools = (input: string | URL | Request, init?: RequestInit) => send(target, input, init);
  return fetchOverPools as typeof fetch;
}
