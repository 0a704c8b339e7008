/**
 * The `fetch` handed to `@huggingface/inference` for one call. The library keeps neither response
 * headers (so Retry-After would be lost) nor, for text generation, anything of the body but the
 * text (so usage and finish reason would be lost); the tap keeps both from the same response, with
 * no extra request. It also applies `providers.huggingface.timeoutMs` to the wait for headers, and
 * bounds every body by `limits` (the captured copy reads the same bounded bytes).
 */
import { linkAbort } from '../../core/abort.js';
import { TimeoutError } from '../../core/errors.js';
import { boundResponse, type ResponseLimits } from '../../transport/bounded-fetch.js';

/** A fetch wrapper that remembers the last response's headers and, on request, its JSON body. */
export class ResponseTap {
  /** Headers of the last response (for Retry-After on errors). */
  headers: Headers | undefined;
  private body: Promise<unknown> | undefined;

  constructor(
    private readonly baseFetch: typeof fetch,
    private readonly limits: ResponseLimits,
    private readonly timeoutMs: number,
    private readonly origin: { provider: string; model: string },
    /** Read a copy of successful JSON bodies (text generation needs its usage). */
    private readonly captureJson = false,
  ) {}

  /** The fetch to pass in the library's options. */
  readonly fetch: typeof fetch = async (input, init) => {
    const linked = linkAbort(init?.signal ?? undefined);
    const timer =
      this.timeoutMs > 0
        ? setTimeout(
            () => linked.controller.abort(new TimeoutError(`${this.origin.provider}:${this.origin.model} sent no response headers within ${this.timeoutMs} ms (providers.huggingface.timeoutMs)`, this.origin)),
            this.timeoutMs,
          )
        : undefined;
    try {
      // The link stays for the body: a stream must remain abortable by the caller after the headers.
      const response = boundResponse(await this.baseFetch(input, { ...init, signal: linked.signal }), this.limits, this.origin);
      this.headers = response.headers;
      if (this.captureJson && response.ok && response.headers.get('content-type')?.startsWith('application/json')) {
        this.body = response
          .clone()
          .json()
          .catch(() => undefined);
      }
      return response;
    } finally {
      clearTimeout(timer);
    }
  };

  /** The captured JSON body of the last successful response, if any. */
  async json(): Promise<unknown> {
    return this.body;
  }
}
