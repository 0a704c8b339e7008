/**
 * Upstream answers are bounded (RELIABILITY.md "Caller-controlled sizes are bounded"): every hosted
 * manager's fetch hands its SDK a body that counts the bytes it yields and, past a bound, cancels
 * the upstream body and errors with a ResponseLimitError naming the `limits.*` key.
 *
 * Bytes are counted after decompression (Node's fetch inflates gzip/br/deflate before the body
 * yields them), so a small gzip body that inflates to gigabytes stops at the bound. Which bound
 * applies depends on the content type:
 * - `text/event-stream`: `maxStreamBytes` for the whole stream, `maxEventBytes` per event (bytes since
 *   the last blank line, `\n\n` or `\r\n\r\n`; the rare bare-`\r` line ends are not looked for);
 * - `application/x-ndjson`: `maxStreamBytes` in all, `maxEventBytes` per line;
 * - anything else: `maxResponseBytes`.
 * A `content-length` above the bound fails at once, before any byte is read (only for an unencoded
 * body: an encoded one's length says nothing about what it inflates to).
 *
 * This runs on every call and every chunk, so it builds no second Response and no second stream:
 * the Response the inner fetch returned gets a prototype whose readers (`json`, `text`, `body` ...)
 * read the upstream body through a MeteredSource (metered-source.ts). On Node 20 a new Response (its
 * stream, a header copy, the SDK reading a JavaScript stream) costs more than the rest of the layer's
 * work on a call, and each stream layer costs per chunk.
 */
import { ResponseLimitError, type AnswerOrigin, type ResponseLimitKey } from '../core/answer-errors.js';
import { FrameMeter, MeteredSource, meteredBody, meteredReader, joinChunks, type BodyObserver, type Framing, type Meter } from './metered-source.js';

export type { BodyObserver } from './metered-source.js';

/** The bounds on what one upstream answer may send (config `limits`). */
export interface ResponseLimits {
  /** A complete (JSON or other non-stream) body, in bytes. */
  maxResponseBytes: number;
  /** A whole SSE or NDJSON stream, in bytes. */
  maxStreamBytes: number;
  /** One SSE event or one NDJSON line, in bytes. */
  maxEventBytes: number;
}

/** The defaults of `limits.maxResponseBytes`, `maxStreamBytes` and `maxEventBytes`: 16, 64 and 4 MiB. */
export const DEFAULT_RESPONSE_LIMITS: Readonly<ResponseLimits> = Object.freeze({
  maxResponseBytes: 16 * 1024 * 1024,
  maxStreamBytes: 64 * 1024 * 1024,
  maxEventBytes: 4 * 1024 * 1024,
});

/** Called with each bounded stream Response (SSE / NDJSON) before it is read; may return an observer of its bytes. */
export type ObserveBody = (response: Response) => BodyObserver | undefined;

/** A fetch like `inner` whose every response body is bounded by `limits` (see `boundResponse`). */
export function boundFetch(inner: typeof fetch, limits: ResponseLimits, origin: AnswerOrigin, observe?: ObserveBody): typeof fetch {
  return async (input, init) => boundResponse(await inner(input, init), limits, origin, observe);
}

/**
 * `response`, its body bounded by `limits` (the same object, see BoundedResponse). Throws the
 * ResponseLimitError at once (and cancels the body unread) when `content-length` already announces
 * more than the bound.
 */
export function boundResponse(response: Response, limits: ResponseLimits, origin: AnswerOrigin, observe?: ObserveBody): Response {
  const body = response.body;
  if (!body) return response;
  const type = (response.headers.get('content-type') ?? '').toLowerCase();
  const framing: Framing | undefined = type.includes('text/event-stream') ? 'sse-event' : type.includes('application/x-ndjson') ? 'ndjson-line' : undefined;
  const totalKey: ResponseLimitKey = framing ? 'limits.maxStreamBytes' : 'limits.maxResponseBytes';
  const totalBytes = framing ? limits.maxStreamBytes : limits.maxResponseBytes;
  const announced = announcedLength(response.headers);
  if (announced !== undefined && announced > totalBytes) {
    void body.cancel().catch(() => undefined);
    throw new ResponseLimitError(totalKey, totalBytes, origin);
  }
  const meter: Meter = { totalKey, totalBytes, frames: framing ? new FrameMeter(framing, limits.maxEventBytes) : undefined, maxEventBytes: limits.maxEventBytes };
  Object.setPrototypeOf(response, BoundedResponse.prototype);
  (response as BoundedResponse)[BOUNDED] = { meter, origin, limits };
  // Nothing is read before the caller gets the Response, so the observer is in place for the first chunk.
  if (framing && observe) meter.observer = observe(response);
  return response;
}

/** The body's length as the server announced it, when that is the length of what the body yields. */
function announcedLength(headers: Headers): number | undefined {
  const encoding = headers.get('content-encoding');
  if (encoding && encoding.trim().toLowerCase() !== 'identity') return undefined;
  const length = headers.get('content-length');
  if (length === null) return undefined;
  const value = Number(length);
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** What a bounded response keeps: how to meter its body, the source once reading began, its body view. */
interface BoundedState {
  meter: Meter;
  origin: AnswerOrigin;
  limits: ResponseLimits;
  source?: MeteredSource;
  body?: MeteredStream;
}

const BOUNDED = Symbol('llm-switchboard.bounded');

/** Response's own `body` getter: the upstream body under the bounded one. */
const UPSTREAM_BODY = Object.getOwnPropertyDescriptor(Response.prototype, 'body')!.get as (this: Response) => ReadableStream<Uint8Array> | null;

/** The prototype of a bounded response (its readers are defined below, once per process). */
class BoundedResponse extends Response {
  declare [BOUNDED]: BoundedState;
}

/** The metered source of a bounded response (made on first read; a `clone()` before that tees the upstream body). */
function sourceOf(response: BoundedResponse): MeteredSource {
  const state = response[BOUNDED];
  state.source ??= new MeteredSource(UPSTREAM_BODY.call(response)!.getReader(), state.meter, state.origin);
  return state.source;
}

/** Every byte of the body, through the meter. */
async function bytesOf(response: BoundedResponse): Promise<Uint8Array> {
  const source = sourceOf(response);
  const chunks: Uint8Array[] = [];
  for (;;) {
    const step = await source.next();
    if (step.done) break;
    chunks.push(step.value);
  }
  return chunks.length === 1 ? chunks[0]! : joinChunks(chunks);
}

async function textOf(response: BoundedResponse): Promise<string> {
  return new TextDecoder().decode(await bytesOf(response));
}

/** Methods on a prototype (DOM typings declare these as fields, so class syntax cannot override them). */
const method = (value: unknown): PropertyDescriptor => ({ value, configurable: true, writable: true });

Object.defineProperties(BoundedResponse.prototype, {
  body: {
    get: function (this: BoundedResponse) {
      const state = this[BOUNDED];
      state.body ??= new MeteredStream(() => sourceOf(this));
      return state.body;
    },
    configurable: true,
  },
  bodyUsed: { get: function (this: BoundedResponse) { return this[BOUNDED].source !== undefined; }, configurable: true },
  text: method(function (this: BoundedResponse) { return textOf(this); }),
  json: method(async function (this: BoundedResponse) { return JSON.parse(await textOf(this)) as unknown; }),
  arrayBuffer: method(async function (this: BoundedResponse) { return (await bytesOf(this)).slice().buffer; }),
  blob: method(async function (this: BoundedResponse) { return new Blob([await bytesOf(this)], { type: this.headers.get('content-type') ?? '' }); }),
  clone: method(function (this: BoundedResponse) {
    const state = this[BOUNDED];
    return boundResponse(Response.prototype.clone.call(this), state.limits, state.origin);
  }),
});

/**
 * The `body` of a bounded response: a ReadableStream as far as its readers can tell (`instanceof`,
 * `getReader`, `for await`, `pipeThrough`, `tee`, `cancel`), built without a stream underneath for the
 * per-chunk path: `getReader()` and `for await` read the metered source directly, one promise per
 * chunk; the rest (rarer) go through a real stream over the source.
 */
class MeteredStream {
  private reading = false;
  private stream?: ReadableStream<Uint8Array>;

  constructor(private readonly source: () => MeteredSource) {}

  private real(): ReadableStream<Uint8Array> {
    this.reading = true;
    this.stream ??= meteredBody(this.source());
    return this.stream;
  }
}

Object.setPrototypeOf(MeteredStream.prototype, ReadableStream.prototype);
Object.defineProperties(MeteredStream.prototype, {
  locked: { get: function (this: { reading: boolean }) { return this.reading; }, configurable: true },
  getReader: method(function (this: { reading: boolean; source: () => MeteredSource }) {
    if (this.reading) throw new TypeError('ReadableStream is locked');
    this.reading = true;
    return meteredReader(this.source());
  }),
  [Symbol.asyncIterator]: method(function (this: { reading: boolean; source: () => MeteredSource }) {
    if (this.reading) throw new TypeError('ReadableStream is locked');
    this.reading = true;
    const source = this.source();
    return {
      next: () => source.next(),
      return: async () => {
        await source.cancel();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }),
  cancel: method(function (this: { source: () => MeteredSource }, reason?: unknown) { return this.source().cancel(reason); }),
  pipeThrough: method(function (this: { real(): ReadableStream<Uint8Array> }, ...args: Parameters<ReadableStream<Uint8Array>['pipeThrough']>) { return this.real().pipeThrough(...args); }),
  pipeTo: method(function (this: { real(): ReadableStream<Uint8Array> }, ...args: Parameters<ReadableStream<Uint8Array>['pipeTo']>) { return this.real().pipeTo(...args); }),
  tee: method(function (this: { real(): ReadableStream<Uint8Array> }) { return this.real().tee(); }),
  values: method(function (this: { real(): ReadableStream<Uint8Array> }, options?: { preventCancel?: boolean }) { return this.real().values(options); }),
});
