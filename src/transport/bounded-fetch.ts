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
 * This runs on every chunk of every stream, so events and lines are found by byte search on the
 * chunks as they are (no decoding, no copies), and the body is a pull-based ReadableStream, which
 * costs about half of what pipeThrough() does per chunk. The one exception to passing chunks on as
 * they come: an event or line still open after 64 KiB is handed on in one piece when it ends (see
 * HOLD_OPEN_FRAME_FROM_BYTES), because the SDKs' framing is quadratic in a frame's chunks.
 */
import { ResponseLimitError, type AnswerOrigin, type ResponseLimitKey } from '../core/answer-errors.js';

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

const LF = 10;
const CR = 13;

/** A fetch like `inner` whose every response body is bounded by `limits` (see `boundResponse`). */
export function boundFetch(inner: typeof fetch, limits: ResponseLimits, origin: AnswerOrigin): typeof fetch {
  return async (input, init) => boundResponse(await inner(input, init), limits, origin);
}

/**
 * `response` with its body bounded by `limits`. Throws the ResponseLimitError at once (and cancels
 * the body unread) when `content-length` already announces more than the bound.
 */
export function boundResponse(response: Response, limits: ResponseLimits, origin: AnswerOrigin): Response {
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
  if (!framing) return boundedWhole(response, { totalKey, totalBytes, frames: undefined, maxEventBytes: limits.maxEventBytes }, origin, limits);
  const frames = new FrameMeter(framing, limits.maxEventBytes);
  const bounded = meteredBody(body, { totalKey, totalBytes, frames, maxEventBytes: limits.maxEventBytes }, origin);
  return new Response(bounded, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** What a bounded complete answer keeps: how to meter its body, and the stream once made. */
interface WholeState {
  meter: Meter;
  origin: AnswerOrigin;
  limits: ResponseLimits;
  metered?: ReadableStream<Uint8Array>;
}

const WHOLE = Symbol('llm-switchboard.boundedWhole');

/** Response's own `body` getter, for the upstream body under the subclass's. */
const UPSTREAM_BODY = Object.getOwnPropertyDescriptor(Response.prototype, 'body')!.get as (this: Response) => ReadableStream<Uint8Array> | null;

/**
 * The readers of a bounded complete answer: the same Response object, given this prototype, whose
 * `json` / `text` / `arrayBuffer` / `blob` / `body` read the upstream body through the meter and whose
 * `clone` is bounded too. Building a second Response per answer (its stream, a header copy, the SDK
 * reading a JavaScript stream) costs Node 20 more than the rest of the layer's work on a call; one
 * prototype swap keeps every such response on one hidden class.
 */
class BoundedWholeResponse extends Response {
  declare [WHOLE]: WholeState;
}

/** The metered body of a bounded answer (made on first use; the upstream body as it is then: a `clone()` tees it). */
function meteredOf(response: BoundedWholeResponse): ReadableStream<Uint8Array> {
  const state = response[WHOLE];
  state.metered ??= meteredBody(UPSTREAM_BODY.call(response)!, state.meter, state.origin);
  return state.metered;
}

function bytesOf(response: BoundedWholeResponse): Promise<Uint8Array> {
  return readAll(meteredOf(response).getReader());
}

async function textOf(response: BoundedWholeResponse): Promise<string> {
  return new TextDecoder().decode(await bytesOf(response));
}

// Once per process, on the prototype (DOM typings declare these as fields, so class syntax cannot override them).
Object.defineProperties(BoundedWholeResponse.prototype, {
  body: { get: function (this: BoundedWholeResponse) { return meteredOf(this); }, configurable: true },
  bodyUsed: { get: function (this: BoundedWholeResponse) { return this[WHOLE].metered?.locked ?? false; }, configurable: true },
  text: { value: function (this: BoundedWholeResponse) { return textOf(this); }, configurable: true, writable: true },
  json: { value: async function (this: BoundedWholeResponse) { return JSON.parse(await textOf(this)) as unknown; }, configurable: true, writable: true },
  arrayBuffer: { value: async function (this: BoundedWholeResponse) { return (await bytesOf(this)).slice().buffer; }, configurable: true, writable: true },
  blob: {
    value: async function (this: BoundedWholeResponse) {
      return new Blob([await bytesOf(this)], { type: this.headers.get('content-type') ?? '' });
    },
    configurable: true,
    writable: true,
  },
  clone: {
    value: function (this: BoundedWholeResponse) {
      const state = this[WHOLE];
      return boundResponse(Response.prototype.clone.call(this), state.limits, state.origin);
    },
    configurable: true,
    writable: true,
  },
});

/** A complete (non-stream) answer, bounded in place: see BoundedWholeResponse. */
function boundedWhole(response: Response, meter: Meter, origin: AnswerOrigin, limits: ResponseLimits): Response {
  Object.setPrototypeOf(response, BoundedWholeResponse.prototype);
  (response as BoundedWholeResponse)[WHOLE] = { meter, origin, limits };
  return response;
}

/** Every chunk of `reader`, joined (the metered stream errors past the bound). */
async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const step = await reader.read();
    if (step.done) break;
    chunks.push(step.value);
  }
  return chunks.length === 1 ? chunks[0]! : joinChunks(chunks);
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

interface Meter {
  totalKey: ResponseLimitKey;
  totalBytes: number;
  frames: FrameMeter | undefined;
  maxEventBytes: number;
}

/**
 * A frame still open after this many bytes is held back until it ends, then handed on in one piece.
 * The SDKs' own framing is quadratic in the chunks of one frame (openai 6.x copies and rescans its
 * whole buffer for every chunk: a 4 MiB event in 16 KiB chunks costs it seconds of CPU, blocking
 * the event loop); nothing can be parsed before the frame ends anyway, so holding costs no latency.
 * Ordinary frames are far smaller and pass chunk by chunk, untouched.
 */
const HOLD_OPEN_FRAME_FROM_BYTES = 64 * 1024;

function meteredBody(body: ReadableStream<Uint8Array>, meter: Meter, origin: AnswerOrigin): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let total = 0;
  const held: Uint8Array[] = [];
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        for (;;) {
          const step = await reader.read();
          if (step.done) {
            if (held.length > 0) controller.enqueue(joinChunks(held));
            controller.close();
            return;
          }
          const chunk = step.value;
          total += chunk.byteLength;
          const frames = meter.frames;
          const exceeded: ResponseLimitKey | undefined = total > meter.totalBytes ? meter.totalKey : frames && !frames.add(chunk) ? 'limits.maxEventBytes' : undefined;
          if (exceeded) {
            held.length = 0;
            const error = new ResponseLimitError(exceeded, exceeded === 'limits.maxEventBytes' ? meter.maxEventBytes : meter.totalBytes, origin);
            // Cancelling the upstream body stops the socket (and any inflating) at once.
            void reader.cancel(error).catch(() => undefined);
            controller.error(error);
            return;
          }
          if (frames && frames.openBytes > HOLD_OPEN_FRAME_FROM_BYTES) {
            held.push(chunk);
            continue;
          }
          if (held.length === 0) {
            controller.enqueue(chunk);
          } else {
            held.push(chunk);
            controller.enqueue(joinChunks(held));
          }
          return;
        }
      },
      // The SDK cancels when its consumer stops early: the upstream body must stop too.
      cancel: (reason) => {
        held.length = 0;
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** `chunks` as one chunk (emptying the list). */
function joinChunks(chunks: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.byteLength;
  }
  chunks.length = 0;
  return joined;
}

/** How frames end: SSE events at a blank line, NDJSON lines at a line feed. */
type Framing = 'sse-event' | 'ndjson-line';

/**
 * The length of the frame under way (an SSE event or an NDJSON line), carried across chunks. Only
 * the first and last frame ends of a chunk are searched for: a frame that starts and ends inside one
 * chunk is no longer than the chunk, so only a chunk longer than the bound needs every end found.
 */
class FrameMeter {
  /** Bytes of the frame under way (since the last frame end). */
  private open = 0;
  /** The last two bytes seen, for a blank line split across chunks (-1: none yet). */
  private last = -1;
  private beforeLast = -1;
  private readonly blankLineEnds: boolean;

  constructor(
    framing: Framing,
    private readonly maxFrameBytes: number,
  ) {
    this.blankLineEnds = framing === 'sse-event';
  }

  /** Bytes of the frame under way (after the last frame end seen). */
  get openBytes(): number {
    return this.open;
  }

  /** Count `chunk`; false when a frame in it is longer than the bound. */
  add(chunk: Uint8Array): boolean {
    const length = chunk.byteLength;
    let end = this.nextEnd(chunk, 0);
    if (end < 0) {
      this.open += length;
    } else {
      if (this.open + end > this.maxFrameBytes) return false;
      if (length > this.maxFrameBytes) {
        for (let next = this.nextEnd(chunk, end); next >= 0; next = this.nextEnd(chunk, next)) {
          if (next - end > this.maxFrameBytes) return false;
          end = next;
        }
      } else {
        end = this.lastEnd(chunk, end);
      }
      this.open = length - end;
    }
    if (length >= 2) {
      this.beforeLast = chunk[length - 2];
      this.last = chunk[length - 1];
    } else if (length === 1) {
      this.beforeLast = this.last;
      this.last = chunk[0];
    }
    return this.open <= this.maxFrameBytes;
  }

  /** The index just after the first frame end at or after `from`, or -1. */
  private nextEnd(chunk: Uint8Array, from: number): number {
    let index = chunk.indexOf(LF, from);
    if (!this.blankLineEnds) return index < 0 ? -1 : index + 1;
    while (index >= 0) {
      if (this.endsBlankLine(chunk, index)) return index + 1;
      index = chunk.indexOf(LF, index + 1);
    }
    return -1;
  }

  /** The index just after the last frame end of a chunk known to have one ending at `floor`. */
  private lastEnd(chunk: Uint8Array, floor: number): number {
    let index = chunk.lastIndexOf(LF);
    if (!this.blankLineEnds) return index + 1;
    while (index >= floor) {
      if (this.endsBlankLine(chunk, index)) return index + 1;
      // index >= floor >= 1 here; a negative fromIndex would count from the end.
      index = chunk.lastIndexOf(LF, index - 1);
    }
    return floor;
  }

  /** Whether the line feed at `index` ends a blank line (`\n\n`, or `\n\r\n` as in `\r\n\r\n`). */
  private endsBlankLine(chunk: Uint8Array, index: number): boolean {
    const previous = this.byteAt(chunk, index - 1);
    return previous === LF || (previous === CR && this.byteAt(chunk, index - 2) === LF);
  }

  /** A byte of this chunk, or (index -1, -2) of the chunks before it. */
  private byteAt(chunk: Uint8Array, index: number): number {
    if (index >= 0) return chunk[index];
    return index === -1 ? this.last : this.beforeLast;
  }
}
