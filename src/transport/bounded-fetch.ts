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
 *
 * The transport's own responses (pooled-response.ts) are built on the same readers from the start
 * (`adoptBody`): bounding one only sets its meter, and its body is read from the transport's queue
 * with no stream at all.
 */
import { ResponseLimitError, type AnswerOrigin, type ResponseLimitKey } from '../core/answer-errors.js';
import { FrameMeter, MeteredSource, meteredBody, meteredReader, joinChunks, type BodyObserver, type BodyReader, type Framing, type Meter } from './metered-source.js';

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
  const adopted = adoptedState(response);
  const body = adopted ? undefined : response.body;
  if (adopted ? adopted.empty : !body) return response;
  const type = (response.headers.get('content-type') ?? '').toLowerCase();
  const framing: Framing | undefined = type.includes('text/event-stream') ? 'sse-event' : type.includes('application/x-ndjson') ? 'ndjson-line' : undefined;
  const totalKey: ResponseLimitKey = framing ? 'limits.maxStreamBytes' : 'limits.maxResponseBytes';
  const totalBytes = framing ? limits.maxStreamBytes : limits.maxResponseBytes;
  const announced = announcedLength(response.headers);
  if (announced !== undefined && announced > totalBytes) {
    void (adopted ? adopted.open!().cancel() : body!.cancel()).catch(() => undefined);
    throw new ResponseLimitError(totalKey, totalBytes, origin);
  }
  const meter: Meter = { totalKey, totalBytes, frames: framing ? new FrameMeter(framing, limits.maxEventBytes) : undefined, maxEventBytes: limits.maxEventBytes };
  if (adopted) {
    adopted.meter = meter;
    adopted.origin = origin;
    adopted.limits = limits;
  } else {
    Object.setPrototypeOf(response, BoundedResponse.prototype);
    (response as BoundedResponse)[BOUNDED] = { meter, origin, limits };
  }
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
  /** Undefined: a transport response no manager has bounded (read as it comes). */
  limits: ResponseLimits | undefined;
  /** A transport response's body (undefined: a fetch Response's own body is read). */
  open?: () => BodyReader;
  /** A transport response without a body (HEAD, 204, 304): `body` is null. */
  empty?: boolean;
  source?: MeteredSource;
  body?: MeteredStream;
}

/** The meter of a transport response no manager has bounded: counts, never fails. */
const UNBOUNDED: Readonly<Meter> = Object.freeze({ totalKey: 'limits.maxResponseBytes', totalBytes: Infinity, frames: undefined, maxEventBytes: Infinity });

const BOUNDED = Symbol('llm-switchboard.bounded');

/** Response's own `body` getter: the upstream body under the bounded one. */
const UPSTREAM_BODY = Object.getOwnPropertyDescriptor(Response.prototype, 'body')!.get as (this: Response) => ReadableStream<Uint8Array> | null;

/** The prototype of a bounded response (its readers are defined below, once per process). */
class BoundedResponse extends Response {
  declare [BOUNDED]: BoundedState;
}

/**
 * Give `response`, an object whose prototype inherits RESPONSE_READERS (a transport's own Response),
 * the readers of a bounded response over `open` (undefined: no body). It reads unbounded until
 * `boundResponse` sets its meter, which must happen before the first read.
 */
export function adoptBody(response: object, open: (() => BodyReader) | undefined, origin: AnswerOrigin): void {
  (response as BoundedResponse)[BOUNDED] = { meter: UNBOUNDED, origin, limits: undefined, open, empty: open === undefined };
}

/** Read a transport response's body from `open` instead (its clone split the body in two); before any read. */
export function reopenBody(response: Response, open: () => BodyReader): void {
  (response as BoundedResponse)[BOUNDED].open = open;
}

/** The state of a transport response (adoptBody), if `response` is one. */
function adoptedState(response: Response): BoundedState | undefined {
  const state = (response as Partial<BoundedResponse>)[BOUNDED];
  return state && (state.open !== undefined || state.empty) ? state : undefined;
}

/** The limits and origin a response is bounded by (a clone is bounded the same way), if any. */
export function boundsOf(response: Response): { limits: ResponseLimits; origin: AnswerOrigin } | undefined {
  const state = (response as Partial<BoundedResponse>)[BOUNDED];
  return state?.limits ? { limits: state.limits, origin: state.origin } : undefined;
}

/** The metered source of a bounded response (made on first read; a `clone()` before that tees the upstream body). */
function sourceOf(response: BoundedResponse): MeteredSource {
  const state = response[BOUNDED];
  state.source ??= new MeteredSource(state.open ? state.open() : UPSTREAM_BODY.call(response)!.getReader(), state.meter, state.origin);
  return state.source;
}

/** Every byte of the body, through the meter. */
async function bytesOf(response: BoundedResponse): Promise<Uint8Array> {
  if (response[BOUNDED].empty) return new Uint8Array(0);
  const source = sourceOf(response);
  const chunks: Uint8Array[] = [];
  for (;;) {
    const step = await source.next();
    if (step.done) break;
    chunks.push(step.value);
  }
  return chunks.length === 1 ? chunks[0]! : joinChunks(chunks);
}

/** One decoder for every body: `decode()` without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder();

async function textOf(response: BoundedResponse): Promise<string> {
  return UTF8.decode(await bytesOf(response));
}

/** The body's bytes in a buffer of their own (a chunk may be a view into a larger one). */
async function ownBytesOf(response: BoundedResponse): Promise<Uint8Array> {
  return new Uint8Array(await bytesOf(response));
}

/** Methods on a prototype (DOM typings declare these as fields, so class syntax cannot override them). */
const method = (value: unknown): PropertyDescriptor => ({ value, configurable: true, writable: true });

Object.defineProperties(BoundedResponse.prototype, {
  body: {
    get: function (this: BoundedResponse) {
      const state = this[BOUNDED];
      if (state.empty) return null;
      state.body ??= new MeteredStream(() => sourceOf(this));
      return state.body;
    },
    configurable: true,
  },
  bodyUsed: { get: function (this: BoundedResponse) { return this[BOUNDED].source !== undefined; }, configurable: true },
  text: method(function (this: BoundedResponse) { return textOf(this); }),
  json: method(async function (this: BoundedResponse) { return JSON.parse(await textOf(this)) as unknown; }),
  arrayBuffer: method(async function (this: BoundedResponse) { return (await ownBytesOf(this)).buffer; }),
  bytes: method(function (this: BoundedResponse) { return ownBytesOf(this); }),
  blob: method(async function (this: BoundedResponse) { return new Blob([await bytesOf(this)], { type: this.headers.get('content-type') ?? '' }); }),
  clone: method(function (this: BoundedResponse) {
    const state = this[BOUNDED];
    return boundResponse(Response.prototype.clone.call(this), state.limits!, state.origin);
  }),
});

/** The prototype a transport's own Response objects inherit their body readers from (see adoptBody). */
export const RESPONSE_READERS: object = BoundedResponse.prototype;

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
