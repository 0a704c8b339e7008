/**
 * A provider stream made safe: retried only before its first delta, first-chunk and idle-chunk
 * timeouts (SSE keep-alive comments produce no parts, so they never reset the idle timer), a stream
 * that ends without its finish part is an interruption, and leaving the loop early aborts upstream.
 */
import { AbortError, ProviderError, StreamInterruptedError, TimeoutError, type LLMError } from '../core/errors.js';
import type { ManagedResult, ManagedStreamPart, ProviderResult, ProviderStreamPart } from '../core/types.js';
import type { ModelLease } from '../cache/model-cache.js';
import type { InferenceRecorder } from '../telemetry/observer.js';
import { startDeadline, waitBeforeRetry, type AttemptHooks } from './attempt-loop.js';

/** Everything the stream loop needs from its manager. */
export interface ManagedStreamOptions<TModel> {
  hooks: AttemptHooks;
  recorder: InferenceRecorder;
  /** Lease the model; `signal` (the attempt's) stops waiting for a slow load. */
  acquire(signal: AbortSignal): Promise<ModelLease<TModel>>;
  open(model: TModel, signal: AbortSignal): AsyncIterable<ProviderStreamPart>;
  finish(value: ProviderResult, attempts: number, latencyMs: number): ManagedResult;
  mapError(error: unknown, signal?: AbortSignal): LLMError;
  origin: { provider: string; model: string };
}

/** Wait for the next part, or abort the attempt with a TimeoutError after `timeoutMs`. */
async function nextWithin<T>(iterator: AsyncIterator<T>, timeoutMs: number, controller: AbortController, what: string): Promise<IteratorResult<T>> {
  const pending = iterator.next();
  if (!timeoutMs || timeoutMs <= 0) return pending;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TimeoutError(`${what} after ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  // The losing promise may still reject after the race; it must not become an unhandled rejection.
  pending.catch(() => undefined);
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Close an upstream iterator without letting a slow or failing `return()` hold up the caller. */
function closeQuietly(iterator: AsyncIterator<unknown> | undefined): void {
  if (!iterator?.return) return;
  try {
    void Promise.resolve(iterator.return()).catch(() => undefined);
  } catch {
    // A throwing return() changes nothing for the caller: the attempt is over either way.
  }
}

/** The managed stream: deltas as they come, then one finish part carrying the priced result. */
export async function* streamWithRetries<TModel>(options: ManagedStreamOptions<TModel>): AsyncGenerator<ManagedStreamPart> {
  const { hooks, recorder } = options;
  const deadline = startDeadline(hooks);
  const started = performance.now();
  const where = `${options.origin.provider}:${options.origin.model}`;
  let attempts = 0;
  let text = '';
  let delivered = false;
  let settled = false;
  try {
    for (;;) {
      attempts++;
      hooks.onAttempt?.();
      const attempt = hooks.link(deadline.signal);
      let lease: ModelLease<TModel> | undefined;
      let iterator: AsyncIterator<ProviderStreamPart> | undefined;
      let completed = false;
      try {
        lease = await options.acquire(attempt.signal);
        iterator = options.open(lease.model, attempt.signal)[Symbol.asyncIterator]();
        let finish: Extract<ProviderStreamPart, { type: 'finish' }> | undefined;
        for (;;) {
          const waitMs = delivered ? hooks.idleChunkTimeoutMs : hooks.firstChunkTimeoutMs;
          const what = delivered ? `${where} stream went idle` : `${where} sent no first chunk`;
          const step = await nextWithin(iterator, waitMs, attempt.controller, what);
          if (step.done) break;
          const part = step.value;
          if (part.type === 'finish') {
            finish = part;
            break;
          }
          if (!part.text) continue;
          if (!delivered) {
            delivered = true;
            recorder.firstChunk();
          }
          text += part.text;
          yield { type: 'text-delta', text: part.text };
        }
        if (!finish) {
          throw delivered
            ? new StreamInterruptedError(`${where} stream ended without its terminal event`, { ...options.origin, partialText: text })
            : new ProviderError(`${where} stream ended before any content or terminal event`, { ...options.origin, retryable: true });
        }
        completed = true;
        const value: ProviderResult = { text, finishReason: finish.finishReason, usage: finish.usage, id: finish.id, responseModel: finish.responseModel };
        const result = options.finish(value, attempts, performance.now() - started);
        settled = true;
        recorder.end(result);
        yield { type: 'finish', result };
        return;
      } catch (thrown) {
        const error = options.mapError(thrown, attempt.signal);
        if (delivered) {
          settled = true;
          const final = error instanceof AbortError || error instanceof StreamInterruptedError
            ? error
            : new StreamInterruptedError(`${where} stream failed after the first delta: ${error.message}`, { ...options.origin, partialText: text, cause: error });
          recorder.fail(final);
          throw final;
        }
        try {
          await waitBeforeRetry(hooks, deadline, error, attempts);
        } catch (finalError) {
          settled = true;
          recorder.fail(finalError as LLMError);
          throw finalError;
        }
      } finally {
        // Leaving early (break, error, timeout) must cancel the upstream request.
        if (!completed) attempt.controller.abort(new AbortError('The stream was closed before it finished'));
        closeQuietly(iterator);
        lease?.release();
        attempt.dispose();
      }
    }
  } finally {
    deadline.dispose();
    if (!settled) recorder.fail(new AbortError('The stream consumer stopped before the stream finished', options.origin));
  }
}
