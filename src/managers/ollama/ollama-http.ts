/**
 * HTTP plumbing for the native Ollama API: JSON requests with a header timeout, every body bounded by
 * `limits` (transport/bounded-fetch.ts), Ollama's `{ "error": "..." }` bodies turned into our errors
 * by status, and NDJSON stream reading with a bounded line buffer.
 */
import { linkAbort } from '../../core/abort.js';
import { ResponseLimitError } from '../../core/answer-errors.js';
import { errorFromStatus, type ErrorOrigin } from '../../core/error-mapping.js';
import { TimeoutError } from '../../core/errors.js';
import { boundResponse, type ResponseLimits } from '../../transport/bounded-fetch.js';

/** Error bodies are read for their message only; the rest is dropped. */
const MAX_ERROR_BODY_CHARS = 4_000;

/** How one Ollama client reaches its server. */
export interface OllamaHttpOptions {
  baseURL: string;
  fetch: typeof fetch;
  /** Longest wait for response headers; 0 = none (the manager's total timeout still applies). */
  timeoutMs: number;
  /** The config key that set `timeoutMs`, named when it passes; default `providers.ollama.timeoutMs`. */
  timeoutKey?: string;
  /** Bounds on every answer (config `limits`). */
  limits: ResponseLimits;
}

/** `baseURL` + `path`, tolerating a trailing slash on the base. */
export function endpointUrl(baseURL: string, path: string): string {
  return `${baseURL.replace(/\/+$/, '')}${path}`;
}

/**
 * Send one request and wait for its headers. A non-2xx answer throws our error for that status
 * (404 "model not found" becomes NoSuchModelError), with Ollama's message as the detail.
 */
export async function requestOllama(
  http: OllamaHttpOptions,
  path: string,
  init: { method: 'GET' | 'POST'; body?: unknown; signal?: AbortSignal },
  origin: ErrorOrigin,
): Promise<Response> {
  // Not disposed after the headers: the body of a stream must stay abortable by the caller. The
  // listener lives on the per-attempt signal, which is dropped with its attempt.
  const linked = linkAbort(init.signal);
  const timer =
    http.timeoutMs > 0
      ? setTimeout(() => linked.controller.abort(new TimeoutError(`Ollama did not answer within ${http.timeoutMs} ms (${http.timeoutKey ?? 'providers.ollama.timeoutMs'})`, origin)), http.timeoutMs)
      : undefined;
  try {
    const answered = await http.fetch(endpointUrl(http.baseURL, path), {
      method: init.method,
      headers: init.body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: linked.signal,
    });
    // Error bodies too: statusError reads them.
    const response = boundResponse(answered, http.limits, origin);
    if (!response.ok) throw await statusError(response, origin);
    return response;
  } finally {
    clearTimeout(timer);
  }
}

async function statusError(response: Response, origin: ErrorOrigin): Promise<Error> {
  let detail = '';
  try {
    const text = (await response.text()).slice(0, MAX_ERROR_BODY_CHARS);
    try {
      const parsed = JSON.parse(text) as { error?: unknown };
      detail = typeof parsed.error === 'string' ? parsed.error : text;
    } catch {
      detail = text;
    }
  } catch {
    // The status alone still says what went wrong.
  }
  return errorFromStatus(response.status, detail, origin, { headers: response.headers });
}

/** Parse one line; a line that is not JSON is a malformed (retryable) response. */
function parseLine<T>(line: string): T {
  return JSON.parse(line) as T;
}

/**
 * The objects of an NDJSON body, one per line. Ends when the body ends; whether that end was the
 * stream's real end (`done: true`) is for the caller to judge. A body the server did not label
 * `application/x-ndjson` was bounded as one JSON answer, not per line: `maxLineBytes` (the
 * `limits.maxEventBytes` bound) still caps what is buffered.
 */
export async function* readNdjson<T>(response: Response, origin: ErrorOrigin, maxLineBytes: number): AsyncGenerator<T> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) yield parseLine<T>(line);
        newline = buffered.indexOf('\n');
      }
      // UTF-16 units, never more than the bytes they came from: a cheap lower bound on the line's bytes.
      if (buffered.length > maxLineBytes) throw new ResponseLimitError('limits.maxEventBytes', maxLineBytes, origin);
    }
    const rest = (buffered + decoder.decode()).trim();
    if (rest) yield parseLine<T>(rest);
    finished = true;
  } finally {
    // Leaving early (consumer stopped, error) must free the connection.
    if (!finished) void reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
