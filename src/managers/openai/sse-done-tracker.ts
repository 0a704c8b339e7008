/**
 * Tells a finished OpenAI stream from one cut short. The `openai` SDK consumes `data: [DONE]` itself
 * and ends its iterator the same way whether the server sent it or the connection simply closed, so
 * the manager's fetch hands the SDK SSE bodies through a thin pass-through that notes whether the body
 * ended on a `[DONE]` line. The bytes reach the SDK unchanged; only `text/event-stream` responses are
 * touched.
 *
 * `[DONE]` is the last event of a stream, so only the end of the body is read: the pass-through keeps
 * references to its last chunks (no copy, no decoding per chunk) and reads their tail once,
 * when the body ends. A pull-based ReadableStream is about twice as cheap per chunk as pipeThrough().
 */

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

/** Wraps a fetch function and remembers which SSE responses carried `[DONE]`. */
export class SseDoneTracker {
  private readonly done = new WeakSet<Response>();

  /** A fetch that behaves like `inner` but tracks `[DONE]` on event-stream responses. */
  wrap(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const response = await inner(input, init);
      const type = response.headers.get('content-type') ?? '';
      if (!response.body || !type.includes('text/event-stream')) return response;
      const reader = response.body.getReader();
      const tail = new BodyTail();
      let tracked: Response | undefined;
      const body = new ReadableStream<Uint8Array>(
        {
          pull: async (controller) => {
            const step = await reader.read();
            if (step.done) {
              if (tracked && tail.endsWithDone()) this.done.add(tracked);
              controller.close();
              return;
            }
            tail.add(step.value);
            controller.enqueue(step.value);
          },
          // The SDK cancels when its consumer stops early: the upstream body must stop too.
          cancel: (reason) => reader.cancel(reason),
        },
        { highWaterMark: 0 },
      );
      tracked = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      return tracked;
    };
  }

  /** True once `response` (as returned by the wrapped fetch) has ended on `data: [DONE]`. */
  sawDone(response: Response): boolean {
    return this.done.has(response);
  }
}
