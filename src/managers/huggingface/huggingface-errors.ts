/**
 * `@huggingface/inference` reports HTTP failures as `InferenceClientProviderApiError` (and
 * `InferenceClientHubApiError`) with the status under `httpResponse.status`, where the shared
 * `mapProviderError` looks for a top-level `status`. This adapts them: status, the parsed error body
 * and the response headers (kept by the ResponseTap), so 429/503 keep their Retry-After.
 */
import { InferenceClientHubApiError, InferenceClientProviderApiError } from '@huggingface/inference';

/** An HTTP failure from a HuggingFace endpoint, in the shape `mapProviderError` reads. */
export class HuggingFaceHttpError extends Error {
  readonly status: number;
  readonly headers: Headers | undefined;
  /** The parsed error body (`{ error: { message, code } }`, `{ error: "..." }` ...). */
  readonly error: unknown;

  constructor(message: string, status: number, body: unknown, headers: Headers | undefined) {
    super(message);
    this.name = 'HuggingFaceHttpError';
    this.status = status;
    this.error = body;
    this.headers = headers;
  }
}

/** The server's own words: OpenAI-shaped `{ error: { message } }`, TGI's `{ error }`, or `{ message }`. */
function detailOf(body: unknown, fallback: string): string {
  if (typeof body === 'string' && body.trim()) return body;
  const record = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown; detail?: unknown };
  if (typeof record.error === 'string') return record.error;
  const nested = record.error as { message?: unknown } | undefined;
  if (nested && typeof nested.message === 'string') return nested.message;
  if (typeof record.message === 'string') return record.message;
  if (typeof record.detail === 'string') return record.detail;
  return fallback;
}

/** Rethrow-ready: library HTTP errors become HuggingFaceHttpError; anything else passes unchanged. */
export function adaptHuggingFaceError(error: unknown, headers: Headers | undefined): unknown {
  if (error instanceof InferenceClientProviderApiError || error instanceof InferenceClientHubApiError) {
    const { status, body } = error.httpResponse;
    return new HuggingFaceHttpError(detailOf(body, error.message), status, body, headers);
  }
  return error;
}
