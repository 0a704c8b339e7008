/**
 * Tells a finished OpenAI stream from one cut short. The `openai` SDK consumes `data: [DONE]` itself
 * and ends its iterator the same way whether the server sent it or the connection simply closed, so
 * the manager's fetch hands the SDK SSE bodies through a thin pass-through that notes whether the body
 * ended on a `[DONE]` line. The bytes reach the SDK unchanged; only `text/event-stream` responses are
 * touched.
 *
 * `[DONE]` is the last event of a stream, so only the end of the body is read: the tracker keeps
 * references to its last chunks (no copy, no decoding per chunk) and reads their tail once, when the
 * body ends. It watches the bytes as the response bounds pass them (one stream layer per chunk, not two).
 */
import { boundFetch, DEFAULT_RESPONSE_LIMITS, type BodyObserver, type ResponseLimits } from '../../transport/bounded-fetch.js';
import type { AnswerOrigin } from '../../core/answer-errors.js';

/** `data: [DONE]` at the start of a line, then nothing but line ends or spaces to the end. */
const DONE_AT_END = /[\r\n]data: ?\[DONE\][\s]*$/;
/** Bytes of the body's end worth reading: the marker, its line ends and some slack. */
const TAIL_BYTES = 64;

/**
 * The last chunks of a body, just enough of them to hold its final TAIL_BYTES (kept by reference: no
 * copy, no decoding while the body flows).
 */
class BodyTail {
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;
  private total = 0;

  add(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    this.total += chunk.byteLength;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0]!.byteLength >= TAIL_BYTES) this.bytes -= this.chunks.shift()!.byteLength;
  }

  /** Whether the body ended on a `[DONE]` line. */
  endsWithDone(): boolean {
    const decoder = new TextDecoder();
    let text = '';
    for (const chunk of this.chunks) text += decoder.decode(chunk, { stream: true });
    text += decoder.decode();
    // A marker on the body's very first line has no line end before it.
    return DONE_AT_END.test(this.bytes === this.total ? `\n${text}` : text);
  }
}

/** Remembers which SSE responses carried `[DONE]`, watching their bytes as the response bounds meter them. */
export class SseDoneTracker {
  private readonly done = new WeakSet<Response>();

  /**
   * A fetch that behaves like `inner`, bounded by `limits` (src/transport/bounded-fetch.ts), and
   * tracks `[DONE]` on event-stream responses in the same pass over their bytes.
   */
  wrap(inner: typeof fetch, limits: ResponseLimits = DEFAULT_RESPONSE_LIMITS, origin: AnswerOrigin = { provider: 'openai' }): typeof fetch {
    return boundFetch(inner, limits, origin, (response) => this.observe(response));
  }

  /** True once `response` (as returned by the wrapped fetch) has ended on `data: [DONE]`. */
  sawDone(response: Response): boolean {
    return this.done.has(response);
  }

  private observe(response: Response): BodyObserver | undefined {
    if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) return undefined;
    const tail = new BodyTail();
    return {
      chunk: (chunk) => tail.add(chunk),
      end: () => {
        if (tail.endsWithDone()) this.done.add(response);
      },
    };
  }
}
