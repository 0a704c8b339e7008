/**
 * The metering of an upstream body (RELIABILITY.md "Caller-controlled sizes are bounded"): bytes
 * counted as the body yields them (after Node's fetch inflated them), frames (SSE events, NDJSON
 * lines) measured by byte search on the chunks as they are, and past a bound the upstream body
 * cancelled and the read failed with a ResponseLimitError naming the `limits.*` key.
 *
 * One MeteredSource reads one upstream body. It is handed to a consumer either as a reader of its own
 * (`meteredReader`: what the SDKs' stream readers get, with one promise per chunk) or, for uses that
 * need a real ReadableStream (pipeThrough, tee), wrapped in one (`meteredBody`).
 */
import { ResponseLimitError, type AnswerOrigin, type ResponseLimitKey } from '../core/answer-errors.js';

const LF = 10;
const CR = 13;

/** Watches a stream's bytes as they pass the meter: one pass over the body instead of a second stream layer. */
export interface BodyObserver {
  /** A chunk handed on to the reader. */
  chunk(chunk: Uint8Array): void;
  /** The upstream body ended (not called when it failed, passed a bound or was cancelled). */
  end(): void;
}

/** What one body is held to. */
export interface Meter {
  totalKey: ResponseLimitKey;
  totalBytes: number;
  frames: FrameMeter | undefined;
  maxEventBytes: number;
  observer?: BodyObserver;
}

/**
 * A frame still open after this many bytes is held back until it ends, then handed on in one piece.
 * The SDKs' own framing is quadratic in the chunks of one frame (openai 6.x copies and rescans its
 * whole buffer for every chunk: a 4 MiB event in 16 KiB chunks costs it seconds of CPU, blocking
 * the event loop); nothing can be parsed before the frame ends anyway, so holding costs no latency.
 * Ordinary frames are far smaller and pass chunk by chunk, untouched.
 */
const HOLD_OPEN_FRAME_FROM_BYTES = 64 * 1024;

/** One read: a chunk, or the end (ReadableStreamReadResult's shape). */
export type ReadStep = { done: true; value: undefined } | { done: false; value: Uint8Array };

/**
 * What a MeteredSource reads from: a ReadableStream's reader (a Response of any fetch), or the
 * transport's own body queue (src/transport/body-queue.ts), which has no stream underneath.
 */
export interface BodyReader {
  read(): Promise<ReadStep | { done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

const DONE: ReadStep = Object.freeze({ done: true, value: undefined });

/** Reads one upstream body through its meter. */
export class MeteredSource {
  private total = 0;
  private readonly held: Uint8Array[] = [];
  private failure: ResponseLimitError | undefined;

  constructor(
    private readonly reader: BodyReader,
    private readonly meter: Meter,
    private readonly origin: AnswerOrigin,
  ) {}

  /** The next chunk to hand on (several joined when a long frame was held), or done; throws past a bound. */
  async next(): Promise<ReadStep> {
    if (this.failure) throw this.failure;
    const { meter, held } = this;
    for (;;) {
      const step = await this.reader.read();
      if (step.done) {
        if (held.length > 0) return this.handOn(joinChunks(held));
        meter.observer?.end();
        return DONE;
      }
      const chunk = step.value as Uint8Array;
      this.total += chunk.byteLength;
      const frames = meter.frames;
      const exceeded: ResponseLimitKey | undefined = this.total > meter.totalBytes ? meter.totalKey : frames && !frames.add(chunk) ? 'limits.maxEventBytes' : undefined;
      if (exceeded) {
        held.length = 0;
        this.failure = new ResponseLimitError(exceeded, exceeded === 'limits.maxEventBytes' ? meter.maxEventBytes : meter.totalBytes, this.origin);
        // Cancelling the upstream body stops the socket (and any inflating) at once.
        void this.reader.cancel(this.failure).catch(() => undefined);
        throw this.failure;
      }
      if (frames && frames.openBytes > HOLD_OPEN_FRAME_FROM_BYTES) {
        held.push(chunk);
        continue;
      }
      if (held.length === 0) return this.handOn(chunk);
      held.push(chunk);
      return this.handOn(joinChunks(held));
    }
  }

  /** The consumer stops early: the upstream body must stop too. */
  cancel(reason?: unknown): Promise<void> {
    this.held.length = 0;
    return this.reader.cancel(reason);
  }

  private handOn(chunk: Uint8Array): ReadStep {
    this.meter.observer?.chunk(chunk);
    return { done: false, value: chunk };
  }
}

/** A ReadableStream over `source` (for consumers that need a real stream: pipeThrough, tee). */
export function meteredBody(source: MeteredSource): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        try {
          const step = await source.next();
          if (step.done) controller.close();
          else controller.enqueue(step.value);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: (reason) => source.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/**
 * A reader over `source` without a stream in between: what a consumer's `getReader()` or `for await`
 * gets on the per-chunk path, one promise per chunk.
 */
export function meteredReader(source: MeteredSource): ReadableStreamDefaultReader<Uint8Array> {
  let released = false;
  let settle: (() => void) | undefined;
  const closed = new Promise<undefined>((resolve) => (settle = () => resolve(undefined)));
  const reader = {
    read: async () => {
      if (released) throw new TypeError('This reader was released');
      const step = await source.next();
      if (step.done) settle?.();
      return step;
    },
    cancel: async (reason?: unknown) => {
      settle?.();
      await source.cancel(reason);
    },
    releaseLock: () => {
      released = true;
    },
    closed,
  };
  return reader as unknown as ReadableStreamDefaultReader<Uint8Array>;
}

/** `chunks` as one chunk (emptying the list). */
export function joinChunks(chunks: Uint8Array[]): Uint8Array {
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
export type Framing = 'sse-event' | 'ndjson-line';

/**
 * The length of the frame under way (an SSE event or an NDJSON line), carried across chunks. Only
 * the first and last frame ends of a chunk are searched for: a frame that starts and ends inside one
 * chunk is no longer than the chunk, so only a chunk longer than the bound needs every end found.
 */
export class FrameMeter {
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
