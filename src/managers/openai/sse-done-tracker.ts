/**
 * Tells a finished OpenAI stream from one cut short. The `openai` SDK consumes `data: [DONE]` itself
 * and ends its iterator the same way whether the server sent it or the connection simply closed, so
 * the manager's fetch passes SSE bodies through a scanner that notes the `[DONE]` line. The bytes
 * reach the SDK unchanged; only `text/event-stream` responses are touched.
 */

/** `data: [DONE]` at the start of a line (JSON text cannot hold a raw newline, so no false match). */
const DONE_LINE = /[\r\n]data: ?\[DONE\]/;
/** Enough of the previous chunk to catch a marker split across chunks. */
const CARRY = 16;

/** Wraps a fetch function and remembers which SSE responses carried `[DONE]`. */
export class SseDoneTracker {
  private readonly done = new WeakSet<Response>();

  /** A fetch that behaves like `inner` but tracks `[DONE]` on event-stream responses. */
  wrap(inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const response = await inner(input, init);
      const type = response.headers.get('content-type') ?? '';
      if (!response.body || !type.includes('text/event-stream')) return response;
      const decoder = new TextDecoder();
      // A leading newline lets a marker on the very first line match like any other.
      let carry = '\n';
      let tracked: Response | undefined;
      const scanner = new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          controller.enqueue(chunk);
          if (!tracked || this.done.has(tracked)) return;
          const text = carry + decoder.decode(chunk, { stream: true });
          if (DONE_LINE.test(text)) this.done.add(tracked);
          carry = text.slice(-CARRY);
        },
      });
      tracked = new Response(response.body.pipeThrough(scanner), { status: response.status, statusText: response.statusText, headers: response.headers });
      return tracked;
    };
  }

  /** True once `response` (as returned by the wrapped fetch) has delivered `data: [DONE]`. */
  sawDone(response: Response): boolean {
    return this.done.has(response);
  }
}
